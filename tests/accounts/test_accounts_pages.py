"""A person's own account: names, profile and language, password reset and change,
notifications."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from innovation_center.accounts.models import (
    LoginSession,
    Notification,
    NotificationKind,
    Profile,
)
from innovation_center.accounts.names import compose_name, display_name
from innovation_center.accounts.notifications import notify_users
from innovation_center.accounts.people import login_sessions_prune
from tests import factories


@pytest.mark.parametrize(
    ("given", "family", "shown"),
    [
        ("磊", "王", "王磊"),
        ("静怡", "欧阳", "欧阳静怡"),
        ("Ada", "Lovelace", "Ada Lovelace"),
        ("Ada", "", "Ada"),
        ("", "Lovelace", "Lovelace"),
        (" 磊 ", " 王 ", "王磊"),
        ("Lei", "王", "王Lei"),
    ],
)
def test_names_read_in_the_order_of_their_script(given, family, shown):
    assert compose_name(given=given, family=family) == shown


def test_a_person_without_a_name_is_shown_by_username(db):
    assert display_name(factories.user("nameless")) == "nameless"
    assert display_name(None) == ""


def test_history_and_pickers_show_display_names(client, staff, company):
    colleague = factories.center_staff("wanglei")
    get_user_model().objects.filter(pk=colleague.pk).update(first_name="磊", last_name="王")
    client.force_login(staff)
    page = client.get(reverse("ecosystem:engagement_create", args=[company.pk]))
    text = page.content.decode()
    assert ">王磊<" in text and ">wanglei<" not in text


def test_the_profile_sets_names_language_and_muted_emails(client, owner):
    client.force_login(owner)
    kinds = [k for k in NotificationKind.values if k != NotificationKind.JOB_FINISHED]
    response = client.post(
        reverse("accounts:profile"),
        {"given_name": "磊", "family_name": "王", "language": "zh-hans", "email_kinds": kinds},
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    profile = Profile.objects.get(user=owner)
    assert (owner.first_name, owner.last_name, profile.language) == ("磊", "王", "zh-hans")
    assert profile.email_muted == [NotificationKind.JOB_FINISHED]
    # From now on the pages are in the chosen language, whatever the browser asks for.
    page = client.get(reverse("accounts:profile"), HTTP_ACCEPT_LANGUAGE="en")
    assert page["Content-Language"] == "zh-hans"
    assert "王磊" in page.content.decode()


def test_a_bad_language_is_refused_with_a_message(client, owner):
    client.force_login(owner)
    response = client.post(reverse("accounts:profile"), {"language": "klingon"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Profile.objects.filter(user=owner, language="klingon").exists()


def test_signing_in_brings_the_profile_language(client, owner):
    Profile.objects.create(user=owner, language="zh-hans")
    client.post(reverse("accounts:login"), {"username": "owner", "password": factories.PASSWORD})
    page = client.get(reverse("accounts:profile"), HTTP_ACCEPT_LANGUAGE="en")
    assert page["Content-Language"] == "zh-hans"


def test_the_menu_language_switch_becomes_the_preference(client, owner):
    client.force_login(owner)
    client.post(reverse("accounts:language"), {"language": "zh-hans", "next": "/"})
    assert Profile.objects.get(user=owner).language == "zh-hans"


def test_password_reset_by_email_in_the_persons_language(client, owner, mailoutbox):
    Profile.objects.create(user=owner, language="zh-hans")
    page = client.get(reverse("accounts:password_reset"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "密码" in page.content.decode()
    # The page is in English, the e-mail in the owner's language.
    client.post(reverse("accounts:password_reset"), {"email": owner.email})
    [mail] = mailoutbox
    assert "密码" in mail.subject and "password" not in mail.body.lower().split("http")[0]
    path = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+)", mail.body).group(1)
    form = client.get(path, follow=True)
    assert form.status_code == 200 and "new_password1" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "another-long-phrase", "new_password2": "another-long-phrase"},
    )
    assert done.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("another-long-phrase")
    # The link works once.
    assert "new_password1" not in client.get(path, follow=True).content.decode()


def test_password_reset_says_nothing_about_unknown_addresses(db, client, mailoutbox):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302 and not mailoutbox


def test_password_change_keeps_the_session(client, owner):
    client.force_login(owner)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": factories.PASSWORD,
            "new_password1": "a-new-long-phrase",
            "new_password2": "a-new-long-phrase",
        },
    )
    assert response.status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 200
    owner.refresh_from_db()
    assert owner.check_password("a-new-long-phrase")


def notify(user, subject="Hello", kind=NotificationKind.PEOPLE, url="/portal/"):
    return notify_users(users=[user], kind=kind, compose=lambda: (subject, "Body"), url=url)


def test_notifications_show_an_unread_count_and_open_where_they_lead(client, owner, member):
    notify(owner, "First")
    notify(owner, "Second", url="/compute/allocations/")
    notify(member, "Not yours")
    client.force_login(owner)
    home = client.get(reverse("accounts:notification_list"))
    text = home.content.decode()
    assert "First" in text and "Second" in text and "Not yours" not in text
    assert re.search(r'class="badge"[^>]*>2<', text)
    second = Notification.objects.get(subject="Second")
    response = client.post(reverse("accounts:notification_open", args=[second.pk]))
    assert response["Location"] == "/compute/allocations/"
    assert Notification.objects.filter(user=owner, read_at__isnull=True).count() == 1
    client.post(reverse("accounts:notifications_read_all"))
    assert not Notification.objects.filter(user=owner, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=member, read_at__isnull=True).count() == 1


def test_another_persons_notification_is_a_404(client, owner, member):
    [note] = notify(member, "Private")
    client.force_login(owner)
    assert client.post(reverse("accounts:notification_open", args=[note.pk])).status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_a_notification_never_leads_off_site(client, owner):
    [note] = notify(owner, url="https://evil.example.com/")
    client.force_login(owner)
    response = client.post(reverse("accounts:notification_open", args=[note.pk]))
    assert response["Location"] == reverse("accounts:notification_list")


def test_an_inactive_person_gets_no_notification(db):
    person = factories.user("gone")
    get_user_model().objects.filter(pk=person.pk).update(is_active=False)
    person.refresh_from_db()
    assert notify(person) == []


def test_pruning_forgets_sessions_that_ended(client, owner):
    client.post(reverse("accounts:login"), {"username": "owner", "password": factories.PASSWORD})
    LoginSession.objects.create(user=owner, session_key="long-gone")
    assert login_sessions_prune() == 1
    assert list(LoginSession.objects.values_list("user", flat=True)) == [owner.pk]


def test_password_reset_without_a_preference_answers_in_the_pages_language(
    client, owner, mailoutbox
):
    client.post(
        reverse("accounts:password_reset"), {"email": owner.email}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    [mail] = mailoutbox
    assert mail.subject == "重置你的创新中心密码"
