from django import template

from innovation_center.accounts.names import display_name as _display_name

register = template.Library()


@register.filter
def display_name(user) -> str:
    """`{{ user|display_name }}`: the person's name as the product shows it everywhere."""
    return _display_name(user)
