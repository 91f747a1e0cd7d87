"""Members online: accounts, proven service points and alert recipients (models, service, schemas)."""
