"""OpenAPI post-processing: what holds for every operation is declared once here."""

from django.utils.translation import gettext as _

UNAUTHORIZED = _(
    "Token tidak valid atau kedaluwarsa. Juga pada operasi publik: token yang dikirim selalu "
    "diperiksa, agar klien tahu harus masuk lagi alih-alih diam-diam melihat data publik saja."
)


def declare_unauthorized(result, generator, request, public):
    """Every operation that reads credentials answers 401 to a bad or expired token, public ones
    included (an invalid token is never treated as anonymous): declare it where it is missing."""
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            schemes = [name for requirement in operation.get("security", []) for name in requirement]
            if schemes and "401" not in operation["responses"]:
                operation["responses"]["401"] = {
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    "description": UNAUTHORIZED,
                }
    return result
