"""Orders models arrive with their issue; the app exists so the layout and layers are in place."""
