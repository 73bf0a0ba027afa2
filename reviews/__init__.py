"""Product reviews from verified buyers: invitations after delivery, moderation,
and the rating kept on each product."""
