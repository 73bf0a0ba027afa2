"""Orders models arrive with their issue; the app exists so the layers are in place."""
