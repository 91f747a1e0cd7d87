"""The essential-services registry (issue 3): entries, contacts, yearly verification, call lists."""
