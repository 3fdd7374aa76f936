"""Staff members: invitations, profiles, working hours and integrations."""
