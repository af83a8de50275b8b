"""The REST API for the mobile app and other clients (docs/product.md §8), under `/api/v1/`.

Thin views over the same doors as the HTML pages: lists come from
`Complaint.objects.visible_to(user)`, single reports from `privacy.get_complaint_or_404`, every
change from `complaints.workflow` (sanctions: `complaints.deadlines.sanctions`). Errors are JSON
(`exceptions.exception_handler`); the OpenAPI 3 schema is at `/api/v1/schema/`.
"""
