"""What the shop knows about a customer for service and marketing: segments
(recency, frequency, monetary value), staff notes, the contact form's messages and the
timeline that puts them together."""
