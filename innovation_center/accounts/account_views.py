"""Pages of the people side for one person: staff's list of every person (deactivate,
reactivate), and your own language, profile and notifications (accounts.views)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from innovation_center.accounts import people as services
from innovation_center.accounts.access import get_scoped_or_404, scoped_queryset, staff_required
from innovation_center.accounts.forms import ProfileForm
from innovation_center.accounts.models import Membership, Notification, NotificationKind
from innovation_center.accounts.names import display_name
from innovation_center.accounts.signals import SESSION_LANGUAGE
from innovation_center.core.errors import ApplicationError
from innovation_center.core.forms import apply_service_errors, query_without
from innovation_center.core.pagination import paginate

# Staff: every person ------------------------------------------------------------------------


@staff_required
def person_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    state = request.GET.get("state", "")
    qs = get_user_model().objects.prefetch_related("memberships__organisation")
    if search:
        qs = qs.filter(
            Q(username__icontains=search)
            | Q(email__icontains=search)
            | Q(first_name__icontains=search)
            | Q(last_name__icontains=search)
        )
    if state == "inactive":
        qs = qs.filter(is_active=False)
    elif state == "active":
        qs = qs.filter(is_active=True)
    context = {
        "page_obj": paginate(request, qs.order_by("last_name", "first_name", "username")),
        "search": search,
        "state": state,
        "query": query_without(request),
    }
    return render(request, "accounts/person_list.html", context)


def _person_action(request: HttpRequest, pk: int, service, done: str) -> HttpResponse:
    person = get_object_or_404(get_user_model(), pk=pk)
    try:
        service(actor=request.user, user=person)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done % {"name": display_name(person)})
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return redirect(next_url)
    return redirect("accounts:person_list")


@require_POST
@staff_required
def person_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _person_action(
        request,
        pk,
        services.person_deactivate,
        _("%(name)s is deactivated: signed out everywhere, API tokens revoked."),
    )


@require_POST
@staff_required
def person_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _person_action(request, pk, services.person_reactivate, _("%(name)s can sign in again."))


# Your own account ----------------------------------------------------------------------------


def language_switch(request: HttpRequest) -> HttpResponse:
    """The menu's language switch; for a signed-in person it also becomes their preference."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if request.method == "POST" and request.user.is_authenticated and language:
        try:
            services.profile_update(
                user=request.user,
                given_name=request.user.first_name,
                family_name=request.user.last_name,
                language=language,
                email_kinds=_wanted_kinds(request.user),
            )
        except ApplicationError:
            return response
        request.session[SESSION_LANGUAGE] = language
    return response


def _wanted_kinds(user) -> list[str]:
    profile = services.profile_for(user)
    return [k for k in NotificationKind.values if profile.wants_email(k)]


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    current = services.profile_for(user)
    initial = {
        "given_name": user.first_name,
        "family_name": user.last_name,
        "language": current.language,
        "email_kinds": [k for k in NotificationKind.values if current.wants_email(k)],
    }
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.profile_update(
                user=user,
                given_name=data["given_name"],
                family_name=data["family_name"],
                language=data["language"],
                email_kinds=data["email_kinds"],
            )
        except ApplicationError as error:
            apply_service_errors(form, error)
        else:
            if saved.language:
                request.session[SESSION_LANGUAGE] = saved.language
            else:
                request.session.pop(SESSION_LANGUAGE, None)
            messages.success(request, _("Your profile was saved."))
            return redirect("accounts:profile")
    context = {
        "form": form,
        "memberships": Membership.objects.filter(user=user).select_related("organisation"),
        "tokens": user.api_tokens.filter(revoked_at__isnull=True),
        "display": display_name(user),
    }
    return render(request, "accounts/profile.html", context)


def _own_notifications(request: HttpRequest):
    # Staff see every row of a personal table in the admin; here a message is its reader's.
    return scoped_queryset(request.user, Notification).filter(user=request.user)


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    qs = _own_notifications(request)
    unread_only = request.GET.get("unread") == "1"
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    context = {
        "page_obj": paginate(request, qs),
        "unread_only": unread_only,
        "query": query_without(request),
    }
    return render(request, "accounts/notification_list.html", context)


@require_POST
@login_required
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    count = services.notifications_mark_read(notifications=_own_notifications(request))
    messages.success(request, _("%(count)s notifications marked as read.") % {"count": count})
    return redirect("accounts:notification_list")


@require_POST
@login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one message read and go where it leads (or back to the list)."""
    notification = get_scoped_or_404(request.user, Notification, _own_notifications(request), pk=pk)
    services.notifications_mark_read(
        notifications=_own_notifications(request).filter(pk=notification.pk)
    )
    url = notification.url
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return redirect(url)
    return redirect("accounts:notification_list")
