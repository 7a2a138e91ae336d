"""Members of the cooperative: roles, status with history, invitations."""
