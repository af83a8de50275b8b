"""The error responses every API operation declares (`errors(400, 404)` in `extend_schema`), so
clients (and schemathesis) know them; the bodies are `lapor.api.exceptions`'s."""

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse

from lapor.api.serializers import VALIDATION_ERROR_SCHEMA, ErrorSerializer

_ERROR_TEXT = {
    400: gettext_lazy("Data tidak valid: `detail` dan kesalahan per isian."),
    401: gettext_lazy("Belum masuk, atau token tidak valid/kedaluwarsa."),
    403: gettext_lazy("Peran Anda tidak mengizinkan tindakan ini pada laporan ini."),
    404: gettext_lazy("Tidak ditemukan — sama untuk yang tidak ada dan yang tidak boleh Anda lihat."),
    409: gettext_lazy("Tidak dapat dilakukan dari status laporan sekarang (§4)."),
    422: gettext_lazy("Idempotency-Key ini sudah dipakai dengan isi permintaan yang berbeda."),
    429: gettext_lazy("Terlalu banyak permintaan; coba lagi nanti."),
    503: gettext_lazy(
        "Layanan sementara tidak tersedia (mis. penyimpanan penuh); tidak ada yang tersimpan, coba lagi nanti."
    ),
}


def errors(*codes):
    out = {}
    for code in (*codes, 429):
        if code == 400:
            out[400] = OpenApiResponse(VALIDATION_ERROR_SCHEMA, description=str(_ERROR_TEXT[400]))
        else:
            out[code] = OpenApiResponse(ErrorSerializer, description=str(_ERROR_TEXT[code]))
    return out
