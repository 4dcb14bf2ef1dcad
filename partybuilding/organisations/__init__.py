"""Party organisations and members: the PartyOrg tree, members, transfers, the party_work grant."""
