from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = "Customers"

    def ready(self) -> None:
        from kernel.personal_data import register_personal_data

        from . import personal_data, receivers

        receivers.connect()
        register_personal_data("contact_messages", export=personal_data.export_contact_messages,
                               erase=personal_data.erase_contact_messages)
        register_personal_data("customer_notes", export=personal_data.export_customer_notes,
                               erase=personal_data.erase_customer_notes)
        register_personal_data("customer_segments", export=personal_data.export_segments,
                               erase=personal_data.erase_segments)
