"""The rules of marketing: campaigns and their money (campaigns), the figures per channel and
campaign (channels), event sign-up (events) and questionnaires (questionnaires)."""
