from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComputeConfig(AppConfig):
    name = "innovation_center.compute"
    verbose_name = _("Compute")

    def ready(self) -> None:
        # Imported here: app modules load only once the registry is ready.
        from innovation_center.compute import rollups
        from innovation_center.compute.models import Allocation
        from innovation_center.compute.selectors import allocation_balances, company_allocations
        from innovation_center.core.backup import backup_check_register
        from innovation_center.ecosystem.panels import CompanyPanel, company_panel_register

        # A lease or outage edited in a closed month drops that month's stored utilization.
        rollups.connect_receivers()

        # Every backup records each allocation's balance; every restore compares it.
        backup_check_register(
            "allocation_balances",
            lambda: allocation_balances(
                allocation_ids=Allocation.objects.values_list("pk", flat=True)
            ),
        )

        company_panel_register(
            CompanyPanel(
                "allocations", "compute/_company_allocations.html", company_allocations, 10
            )
        )
