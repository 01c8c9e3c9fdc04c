"""Authentication hardening: password policy and history, hashing with SM3, lockout, session
limits, the user's own session list and the TOTP second factor (SECURITY.md R01–R09)."""
