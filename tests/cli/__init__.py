"""Tests of the aidwatch command line: clear errors, exit statuses."""
