from django.core.paginator import Paginator


def paginate(request, queryset, *, per_page: int = 50):
    """The requested page of `queryset`; bad or out-of-range page numbers give the nearest page."""
    paginator = Paginator(queryset, per_page)
    return paginator.get_page(request.GET.get("page"))
