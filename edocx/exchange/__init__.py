"""The exchange: drafts, signing, numbering and issue, routing and statuses."""
