"""Delivery of documents and statuses to agencies' systems: pull and push."""
