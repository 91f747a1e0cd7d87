"""What the service sends and files: notices, summary and reliability reports, and their delivery."""
