"""The demo logins: one user per role, each a member of its organisation."""

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from innovation_center.accounts.models import Membership, Organisation
from innovation_center.demo.data.people import DEMO_PASSWORD, DEMO_USERS


def seed_users(*, center, owner_company, rival_company, coordinator_university) -> dict:
    organisations = {
        "center": center,
        "owner_company": owner_company.organisation,
        "rival_company": rival_company.organisation,
        "coordinator_university": coordinator_university.organisation,
    }
    user_model = get_user_model()
    password_hash = None
    users = {}
    for username, last_name, first_name, role, is_superuser, org_key in DEMO_USERS:
        organisation = organisations[org_key]
        user = user_model.objects.filter(username=username).first()
        if user is None:
            # One hash for all demo users: the slow hasher runs once.
            password_hash = password_hash or make_password(DEMO_PASSWORD)
            user = user_model.objects.create(
                username=username,
                password=password_hash,
                first_name=first_name,
                last_name=last_name,
                email=f"{username}@example.com",
                is_staff=organisation.kind == Organisation.Kind.CENTER,
                is_superuser=is_superuser,
            )
        Membership.objects.get_or_create(
            user=user, organisation=organisation, defaults={"role": role}
        )
        users[username] = user
    return users
