"""Pages of the people side: an organisation's people, invitations, profile, notifications."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from innovation_center.accounts import people as services
from innovation_center.accounts.access import (
    can_manage_people,
    get_scoped_or_404,
    scoped_queryset,
    viewer_for,
)
from innovation_center.accounts.account_views import (  # noqa: F401 (re-exported)
    language_switch,
    notification_list,
    notification_open,
    notifications_read_all,
    person_deactivate,
    person_list,
    person_reactivate,
    profile,
)
from innovation_center.accounts.forms import AcceptForm, InvitationForm, RoleForm
from innovation_center.accounts.models import Invitation, Membership, Organisation
from innovation_center.accounts.names import display_name
from innovation_center.accounts.selectors import people_history
from innovation_center.accounts.signals import SESSION_LANGUAGE
from innovation_center.core import clock
from innovation_center.core.errors import ApplicationError
from innovation_center.core.forms import apply_service_errors, query_without
from innovation_center.core.pagination import paginate


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        # The single sign-on button shows only when OpenID Connect is configured.
        return {**super().get_context_data(**kwargs), "sso_enabled": settings.OIDC_ENABLED}


# People of an organisation ------------------------------------------------------------------


def _organisation(request: HttpRequest, pk: int) -> Organisation:
    return get_scoped_or_404(request.user, Organisation, pk=pk)


def _require_manager(request: HttpRequest, organisation: Organisation) -> None:
    if not can_manage_people(request.user, organisation):
        raise PermissionDenied


def _back_to(organisation: Organisation) -> str:
    return reverse("accounts:people", args=[organisation.pk])


def organisation_page_url(organisation: Organisation) -> str | None:
    """The organisation's own page in the product, where there is one."""
    company = getattr(organisation, "company", None)
    if company is not None:
        return reverse("ecosystem:company_detail", args=[company.pk])
    return None


@login_required
def people(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = _organisation(request, pk)
    manager = can_manage_people(request.user, organisation)
    members = (
        Membership.objects.filter(organisation=organisation)
        .select_related("user")
        .order_by("role", "user__last_name", "user__first_name", "user__username")
    )
    now = clock.now()
    invitations = []
    if manager:
        invitations = list(
            scoped_queryset(request.user, Invitation)
            .filter(organisation=organisation, accepted_at__isnull=True, revoked_at__isnull=True)
            .select_related("invited_by")
        )
    roles = services.allowed_roles(organisation)
    context = {
        "organisation": organisation,
        "organisation_url": organisation_page_url(organisation),
        "members": members,
        "invitations": [(i, i.state(now)) for i in invitations],
        "manager": manager,
        "is_staff": viewer_for(request.user).is_center_staff,
        "roles": [(r, Membership.Role(r).label) for r in roles],
        "change_roles": len(roles) > 1,
        "owners": members.filter(role=Membership.Role.COMPANY_OWNER).count(),
        "history": people_history(user=request.user, organisation=organisation)[:50]
        if manager
        else None,
    }
    return render(request, "accounts/people.html", context)


@login_required
def my_people(request: HttpRequest) -> HttpResponse:
    """The menu's "People": the person's organisation, or the staff's list of organisations."""
    viewer = viewer_for(request.user)
    if viewer.is_center_staff:
        return redirect("accounts:organisation_list")
    own = sorted(viewer.company_org_ids | viewer.university_org_ids)
    if len(own) == 1:
        return redirect("accounts:people", pk=own[0])
    return redirect("accounts:organisation_list")


@login_required
def organisation_list(request: HttpRequest) -> HttpResponse:
    """The organisations whose people the user may see, with members and open invitations."""
    kind = request.GET.get("kind", "")
    search = request.GET.get("q", "").strip()
    qs = scoped_queryset(request.user, Organisation).annotate(
        member_count=Count("memberships", distinct=True),
        open_invitations=Count(
            "invitations",
            filter=Q(
                invitations__accepted_at__isnull=True,
                invitations__revoked_at__isnull=True,
                invitations__expires_at__gt=clock.now(),
            ),
            distinct=True,
        ),
    )
    if kind in Organisation.Kind.values:
        qs = qs.filter(kind=kind)
    if search:
        qs = qs.filter(name__icontains=search)
    context = {
        "page_obj": paginate(request, qs.order_by("kind", "name")),
        "kinds": Organisation.Kind.choices,
        "kind": kind,
        "search": search,
        "query": query_without(request),
        "is_staff": viewer_for(request.user).is_center_staff,
    }
    return render(request, "accounts/organisation_list.html", context)


@login_required
def invite(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = _organisation(request, pk)
    _require_manager(request, organisation)
    roles = services.allowed_roles(organisation)
    initial = {}
    if (
        organisation.kind == Organisation.Kind.COMPANY
        and not Membership.objects.filter(
            organisation=organisation, role=Membership.Role.COMPANY_OWNER
        ).exists()
    ):
        initial["role"] = Membership.Role.COMPANY_OWNER
    form = InvitationForm(request.POST or None, roles=roles, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_create(
                actor=request.user,
                organisation=organisation,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                language=form.cleaned_data["language"],
            )
        except ApplicationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                _("An invitation was sent to %(email)s; the link works for %(days)s days.")
                % {"email": invitation.email, "days": services.invitation_lifetime().days},
            )
            return redirect(_back_to(organisation))
    return render(
        request,
        "accounts/invite.html",
        {"organisation": organisation, "form": form, "cancel_url": _back_to(organisation)},
    )


def _invitation(request: HttpRequest, pk: int) -> Invitation:
    invitation = get_scoped_or_404(
        request.user, Invitation, Invitation.objects.select_related("organisation"), pk=pk
    )
    _require_manager(request, invitation.organisation)
    return invitation


@require_POST
@login_required
def invitation_resend(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = _invitation(request, pk)
    try:
        services.invitation_resend(actor=request.user, invitation=invitation)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("The invitation to %(email)s was sent again with a new link.")
            % {"email": invitation.email},
        )
    return redirect(_back_to(invitation.organisation))


@require_POST
@login_required
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = _invitation(request, pk)
    try:
        services.invitation_revoke(actor=request.user, invitation=invitation)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("The invitation to %(email)s was revoked; its link no longer works.")
            % {"email": invitation.email},
        )
    return redirect(_back_to(invitation.organisation))


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The link of an invitation e-mail: anyone holding it may accept, once."""
    try:
        invitation = services.invitation_for_token(token)
    except ApplicationError as error:
        return render(
            request, "accounts/invitation_dead.html", {"reason": error.message}, status=410
        )
    user = request.user if request.user.is_authenticated else None
    needs_password = services.accept_needs_password(invitation, user)
    form = AcceptForm(request.POST or None, needs_password=needs_password)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account, membership = services.invitation_accept(
                token=token,
                user=user,
                password=data.get("password1", ""),
                given_name=data.get("given_name", ""),
                family_name=data.get("family_name", ""),
                language=data.get("language", ""),
            )
        except ApplicationError as error:
            apply_service_errors(form, error)
        else:
            text = _("Welcome to %(organisation)s.") % {
                "organisation": membership.organisation.name
            }
            if user is None and not needs_password:
                # The account has a password: the person signs in with it, as always.
                messages.success(
                    request,
                    text
                    + " "
                    + _("Sign in with your account %(username)s.")
                    % {"username": account.get_username()},
                )
                return redirect(f"{reverse('accounts:login')}?next={reverse('home')}")
            if user is None:
                login(request, account, backend="django.contrib.auth.backends.ModelBackend")
            if data.get("language"):
                request.session[SESSION_LANGUAGE] = data["language"]
            messages.success(request, text)
            return redirect("home")
    context = {
        "invitation": invitation,
        "form": form,
        "needs_password": needs_password,
        "signed_in_as": user,
        "inviter": display_name(invitation.invited_by),
    }
    return render(request, "accounts/invitation_accept.html", context)


def _membership(request: HttpRequest, pk: int) -> Membership:
    return get_scoped_or_404(
        request.user,
        Membership,
        Membership.objects.select_related("organisation", "user"),
        pk=pk,
    )


@require_POST
@login_required
def member_role(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request, pk)
    organisation = membership.organisation
    _require_manager(request, organisation)
    form = RoleForm(request.POST, roles=services.allowed_roles(organisation))
    if not form.is_valid():
        messages.error(request, _("Choose one of the roles offered."))
        return redirect(_back_to(organisation))
    try:
        services.membership_change_role(
            actor=request.user, membership=membership, role=form.cleaned_data["role"]
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(name)s is now %(role)s.")
            % {
                "name": display_name(membership.user),
                "role": Membership.Role(form.cleaned_data["role"]).label,
            },
        )
    return redirect(_back_to(organisation))


@require_POST
@login_required
def member_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a member (managers), or leave (the member themself)."""
    membership = _membership(request, pk)
    organisation = membership.organisation
    leaving = membership.user_id == request.user.pk
    if not leaving:
        _require_manager(request, organisation)
    try:
        services.membership_remove(actor=request.user, membership=membership)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect(_back_to(organisation))
    if leaving:
        # Leaving ends the person's sessions, this one included.
        return redirect("accounts:login")
    messages.success(
        request,
        _("%(name)s was removed from %(organisation)s; their sessions and API tokens stopped.")
        % {"name": display_name(membership.user), "organisation": organisation.name},
    )
    return redirect(_back_to(organisation))
