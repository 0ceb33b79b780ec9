"""Identity: users, passwords, phone OTP, sessions and refresh tokens, roles and memberships."""
