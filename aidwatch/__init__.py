"""aidwatch: social-assistance data warehouse and early warnings for Alxa League."""
