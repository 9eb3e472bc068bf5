"""The menu: every section once, shown to the roles that use it.

Entries whose URL is not (yet) defined are skipped, so an app adds its pages by defining the
named URL. Menus are a convenience only; every view checks access itself.
"""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

STAFF, COMPANY, COORDINATOR = "staff", "company", "coordinator"

ENTRIES = [
    ("reports:dashboard", _("Dashboard"), {STAFF}),
    ("ecosystem:company_list", _("Companies"), {STAFF}),
    ("ecosystem:engagement_board", _("Lifecycle board"), {STAFF}),
    ("ecosystem:solution_list", _("Solutions"), {STAFF, COMPANY}),
    ("programs:call_list", _("Calls"), {STAFF, COMPANY}),
    ("kpi:report_list", _("KPI reports"), {STAFF, COMPANY}),
    ("kpi:criteria", _("Incubator criteria"), {STAFF}),
    ("talent:overview", _("Talent"), {STAFF}),
    ("talent:course_list", _("Courses"), {STAFF, COORDINATOR}),
    ("talent:crowdtask_list", _("Crowd tasks"), {STAFF, COORDINATOR}),
    ("talent:internship_list", _("Internships"), {STAFF, COORDINATOR}),
    ("compute:overview", _("Compute"), {STAFF}),
    ("compute:review_queue", _("Requests"), {STAFF}),
    ("compute:request_list", _("Compute requests"), {COMPANY}),
    ("compute:allocation_list", _("Allocations"), {STAFF, COMPANY}),
    ("compute:device_list", _("Devices"), {STAFF}),
    ("compute:capacity", _("Capacity"), {STAFF}),
    ("evaluation:portal_home", _("Portal"), {COMPANY}),
    ("evaluation:model_list", _("Models"), {COMPANY}),
    ("evaluation:job_list", _("Jobs"), {STAFF, COMPANY}),
    ("benchmarks:suite_list", _("Benchmarks"), {STAFF, COMPANY}),
    ("reports:monthly", _("Monthly report"), {STAFF}),
    ("accounts:organisation_list", _("People"), {STAFF}),
    ("accounts:my_people", _("People"), {COMPANY, COORDINATOR}),
    ("api-docs", _("API"), {STAFF, COMPANY, COORDINATOR}),
]


def menu_for(viewer) -> list[tuple[str, str]]:
    roles = set()
    if viewer.is_center_staff:
        roles.add(STAFF)
    if viewer.is_company_member:
        roles.add(COMPANY)
    if viewer.is_coordinator:
        roles.add(COORDINATOR)
    items = []
    for name, label, allowed in ENTRIES:
        if roles & allowed:
            try:
                items.append((reverse(name), label))
            except NoReverseMatch:
                continue
    return items
