"""API views (docs/product.md §8). Thin: visibility first (`privacy.get_complaint_or_404`), then the
workflow function, which re-checks the caller's right and the status inside its lock. Errors are
mapped to JSON by `lapor.api.exceptions`."""

from django.db.models import OuterRef, Prefetch, Subquery
from django.http import Http404
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action, api_view, permission_classes, throttle_classes
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from accounts import services
from agencies.models import Agency, Area, Category
from complaints import privacy, workflow
from complaints.channels.api import serializers as s
from complaints.channels.api.filters import ComplaintFilter
from complaints.channels.api.permissions import ReadsSanctions
from complaints.common import idempotency, search
from complaints.common.pagination import FastPaginator
from complaints.deadlines import sanctions
from complaints.errors import Invalid
from complaints.evidence import uploads
from complaints.models import Complaint, Disposition, Event, EventType, IdentityAccess, Notification, parse_pk
from complaints.outbox import notify
from lapor.api.parsers import FormParser, JSONParser, MultiPartParser
from lapor.api.permissions import IsActiveUser, VerifiedReporter
from lapor.api.responses import errors


def not_found():
    return Http404(privacy.NOT_FOUND_MESSAGE)


class Pagination(PageNumberPagination):
    django_paginator_class = FastPaginator
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request):
        # DRF ignores a page_size it cannot read; the schema says integer, so a bad one is a 400.
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
            raise Invalid(fields={"page_size": [_("Harus bilangan bulat positif.")]})
        return min(int(raw), self.max_page_size)

    def get_page_number(self, request, paginator):
        # An empty or non-numeric page is refused like a bad page_size, not read as page 1.
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and raw not in self.last_page_strings and not (raw.isascii() and raw.isdigit()):
            raise Invalid(fields={"page": [_("Harus bilangan bulat positif.")]})
        return super().get_page_number(request, paginator)

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        for param in params:
            if param["name"] == self.page_query_param:
                param["schema"]["minimum"] = 1
            if param["name"] == self.page_size_query_param:
                param["schema"]["minimum"] = 1
                param["description"] = _("Jumlah hasil per halaman (1–%(max)d; lebih besar dibatasi %(max)d).") % {
                    "max": self.max_page_size
                }
        return params


# Reference data ---------------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(
        summary="Instansi (OPD, unit, Diskominfo, Inspektorat, BKD, PPID)",
        responses={200: s.AgencySerializer(many=True), **errors()},
    ),
)
class AgencyViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = Agency.objects.active().select_related("parent").order_by("name")
    serializer_class = s.AgencySerializer
    permission_classes = [AllowAny]
    pagination_class = None


@extend_schema_view(
    list=extend_schema(summary="Kategori laporan", responses={200: s.CategorySerializer(many=True), **errors()}),
)
class CategoryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = Category.objects.filter(is_active=True).select_related("default_agency").order_by("order", "name")
    serializer_class = s.CategorySerializer
    permission_classes = [AllowAny]
    pagination_class = None


@extend_schema_view(
    list=extend_schema(
        summary="Wilayah: kecamatan dan kelurahan/desa",
        parameters=[
            OpenApiParameter("level", str, enum=[v for v, _l in Area.Level.choices]),
            OpenApiParameter("parent", str, description="Kode kecamatan: hanya kelurahan di dalamnya."),
        ],
        responses={200: s.AreaSerializer(many=True), **errors(400)},
    ),
)
class AreaViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.AreaSerializer
    permission_classes = [AllowAny]
    pagination_class = None

    def get_queryset(self):
        qs = Area.objects.select_related("parent").order_by("level", "name")
        level = self.request.query_params.get("level")
        if level is not None:
            if level not in Area.Level.values:
                raise Invalid(fields={"level": [_("Pilih kecamatan atau kelurahan.")]})
            qs = qs.filter(level=level)
        parent = self.request.query_params.get("parent")
        if parent:
            qs = qs.filter(parent__code=parent.replace("\x00", "")[:20])
        return qs


# Reports ---------------------------------------------------------------------------------------
IDEMPOTENCY_PARAM = OpenApiParameter(
    idempotency.HEADER,
    {"type": "string", "minLength": 1, "maxLength": 255, "pattern": idempotency.KEY_PATTERN},
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "Kunci sekali pakai dari klien (mis. UUID, 1–255 karakter ASCII) agar laporan tidak terkirim dua kali. "
        "Permintaan ulang dengan kunci dan isi yang sama dari akun yang sama menjawab 201 dengan laporan yang "
        "pertama (header `Idempotent-Replayed: true`) tanpa membuat laporan baru; kunci yang sama dengan isi "
        "berbeda menjawab 422. Kunci berlaku per akun dan disimpan tanpa batas waktu."
    ),
)
TRACKING_PARAM = OpenApiParameter(
    "tracking_id", str, OpenApiParameter.PATH, description="Nomor pelacakan, mis. LPR-7K2M-9QXD."
)


def _suggested(c):
    """`verify` without `agencies`: what the operator's review page preselects (the category's
    route for the report's kecamatan, else its default; an overseer for a report berkadar
    pengawasan), never an agency the report may not go to."""
    return workflow.suggested_routing(c)[0]


def _action_schema(summary, request=None, description="", examples=(), response=None, codes=(400, 401, 403, 404, 409)):
    return extend_schema(
        summary=summary,
        description=description,
        request=request,
        responses={200: response or s.ComplaintSerializer, **errors(*codes)},
        examples=list(examples),
        parameters=[TRACKING_PARAM],
    )


def _ex(name, value):
    return OpenApiExample(name, value=value, request_only=True)


class _PostAction:
    """A POST action on one object, declared in a viewset's body as `name = <subclass>(...)`: when
    the class is made it becomes the viewset's method `name`, a DRF `action` (its `routes`,
    url_path and url_name, by default from the name) documented by `schema(method)`, that
    answers with `answer(view, request, **url_kwargs)`."""

    routes = None

    def __set_name__(self, owner, name):
        def run(view, request, **kwargs):
            return self.answer(view, request, **kwargs)

        run.__name__ = name
        self.name = name
        setattr(owner, name, self.schema(action(detail=True, methods=["post"], **(self.routes or {}))(run)))


class _WorkflowAction(_PostAction):
    """A report's action: `call(report, user, data)` with the request's data validated by
    `serializer` (none without one); the answer is the report as the caller now sees it. Its
    summary and the rest of `schema` are `_action_schema`'s."""

    def __init__(self, summary, serializer, call, *, routes=None, **schema):
        self.summary, self.serializer, self.call, self.routes, self.extra = summary, serializer, call, routes, schema

    def answer(self, view, request, tracking_id=None):
        return view._run(request, self.serializer, self.call)

    def schema(self, method):
        return _action_schema(self.summary, self.serializer, **self.extra)(method)


class ComplaintViewSet(viewsets.GenericViewSet):
    """Reports: list, detail, filing, timeline, files, identity log and every §8 action."""

    lookup_field = "tracking_id"
    lookup_value_regex = "[^/]+"
    serializer_class = s.ComplaintSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ComplaintFilter
    pagination_class = Pagination
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    public_actions = {"list", "retrieve", "timeline", "similar"}

    def get_permissions(self):
        if self.action in self.public_actions:
            return [AllowAny()]
        if self.action in ("create", "support"):
            return [VerifiedReporter()]
        return [IsActiveUser()]

    def base_queryset(self):
        """Everything a report's representation reads, in a number of queries that depends only on
        who asks: the report with its category, areas and reporter joined and the merged-into
        report's tracking id as a column, then the dispositions. The agencies it names are shown
        to its reporter and to staff only (and staff need the terlapor for the conflict rule):
        prefetched for a signed-in caller, never read for the public. (Joining them too made
        PostgreSQL spend ~25 ms choosing a join order for a query that runs in 3.)"""
        qs = (
            Complaint.objects.select_related("category", "kecamatan", "kelurahan", "reporter")
            .annotate(
                merged_into_tracking_id=Subquery(
                    Complaint.objects.filter(pk=OuterRef("merged_into_id")).values("tracking_id")[:1]
                )
            )
            .prefetch_related(
                Prefetch(
                    "dispositions", queryset=Disposition.objects.select_related("agency").order_by("created_at", "pk")
                ),
            )
        )
        if self.request.user.is_authenticated:
            qs = qs.prefetch_related("terlapor_agency", "target_agency")
        return qs

    def get_queryset(self):
        return self.base_queryset().visible_to(self.request.user).order_by("-created_at", "-pk")

    def get_object(self):
        tracking_id = s.normalize_tracking_id(self.kwargs.get(self.lookup_field))
        if tracking_id is None:
            raise not_found()
        return privacy.get_complaint_or_404(self.request.user, tracking_id, self.base_queryset())

    def _answer(self, request, complaint, status_code=200):
        c = self.get_object_for(complaint.tracking_id)
        return Response(s.ComplaintSerializer(c, context={"request": request}).data, status=status_code)

    def get_object_for(self, tracking_id):
        return privacy.get_complaint_or_404(self.request.user, tracking_id, self.base_queryset())

    def _run(self, request, serializer_class, fn):
        c = self.get_object()
        data = {}
        if serializer_class is not None:
            ser = serializer_class(data=request.data)
            ser.is_valid(raise_exception=True)
            data = ser.validated_data
        fn(c, request.user, data)
        return self._answer(request, c)

    # List, detail, filing -------------------------------------------------------------------
    @extend_schema(
        summary="Daftar laporan yang boleh Anda lihat",
        description="Publik: laporan umum/anonim yang sudah diverifikasi. Pelapor: juga laporannya sendiri. "
        "Petugas: juga laporan sesuai perannya (§3). Berhalaman: `count`, `next`, `previous`, `results`.",
        responses={200: s.ComplaintSerializer(many=True), **errors(400, 401, 404)},
    )
    def list(self, request):
        qs = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(qs)
        data = s.ComplaintSerializer(page, many=True, context={"request": request}).data
        return self.get_paginated_response(data)

    @extend_schema(
        summary="Satu laporan",
        parameters=[TRACKING_PARAM],
        responses={200: s.ComplaintDetailSerializer, **errors(401, 404)},
    )
    def retrieve(self, request, tracking_id=None):
        c = self.get_object()
        return Response(s.ComplaintDetailSerializer(c, context={"request": request}).data)

    @extend_schema(
        summary="Membuat laporan",
        description="Kanal bawaan `mobile`. Laporan disimpan sebagai belum_terverifikasi dan menunggu operator.",
        request=s.ComplaintCreateSerializer,
        parameters=[IDEMPOTENCY_PARAM],
        responses={201: s.ComplaintDetailSerializer, **errors(400, 401, 403, 422)},
        examples=[
            _ex(
                "Aduan dengan lokasi",
                {
                    "title": "Jalan berlubang di depan pasar",
                    "body": "Lubang besar di Jalan Poros dekat pasar, sudah dua minggu belum diperbaiki.",
                    "kind": "aduan",
                    "category": "jalan-jembatan",
                    "location": {
                        "text": "Jl. Poros depan Pasar Baru",
                        "kelurahan": "99.01.02.2001",
                        "lat": -4.601234,
                        "lng": 121.903456,
                    },
                    "incident_date": "2026-03-10",
                    "privacy": "anonim",
                },
            ),
            _ex(
                "Permintaan informasi",
                {
                    "title": "Data anggaran perbaikan jalan 2026",
                    "body": "Mohon salinan rincian anggaran pemeliharaan jalan kabupaten tahun 2026.",
                    "kind": "informasi",
                    "category": "informasi-publik",
                    "location": "Kantor Dinas PU",
                    "privacy": "umum",
                },
            ),
        ],
    )
    def create(self, request):
        key = idempotency.header_key(request)

        def file():
            ser = s.ComplaintCreateSerializer(data=request.data)
            ser.is_valid(raise_exception=True)
            fields = ser.file_kwargs()
            reporter = services.reporter_for(fields["channel"], user=request.user).account
            return workflow.file_complaint(reporter=reporter, **fields)

        c, replayed = idempotency.file_once(
            request.user, key, file, fingerprint=idempotency.fingerprint(request.data) if key else None
        )
        c = self.get_object_for(c.tracking_id)
        data = s.ComplaintDetailSerializer(c, context={"request": request}).data
        headers = {"Location": data["url"]}
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        return Response(data, status=status.HTTP_201_CREATED, headers=headers)

    @extend_schema(
        summary="Linimasa laporan",
        description="Hanya entri yang ditujukan bagi Anda (publik, pelapor, atau petugas).",
        parameters=[TRACKING_PARAM],
        responses={200: s.TimelineEntrySerializer(many=True), **errors(401, 404)},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def timeline(self, request, tracking_id=None):
        c = self.get_object()
        return Response(s.timeline_data(c, request.user, request))

    @extend_schema(
        summary="Laporan serupa yang masih terbuka (“Saya juga mengalami”)",
        parameters=[
            OpenApiParameter("category", str, required=True, description="Slug kategori."),
            OpenApiParameter("kecamatan", str, description="Kode kecamatan."),
            OpenApiParameter("q", str, required=True, description="Judul/isi yang sedang ditulis."),
        ],
        responses={200: s.SimilarSerializer(many=True), **errors(400, 401)},
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def similar(self, request):
        params = request.query_params
        slug = params.get("category", "").replace("\x00", "")[:60]
        category = Category.objects.filter(slug=slug, is_active=True).first() if slug else None
        if category is None:
            raise Invalid(fields={"category": [_("Kategori tidak dikenal.")]})
        code = params.get("kecamatan", "").replace("\x00", "")[:20]
        kecamatan = Area.objects.filter(code=code, level=Area.Level.KECAMATAN).first() if code else None
        found = search.similar_open_reports(category, kecamatan, params.get("q", "")[:500], 5, user=request.user)
        return Response(
            [
                {
                    "tracking_id": c.tracking_id,
                    "title": c.title,
                    "status": c.status,
                    "support_count": c.support_count,
                    "url": request.build_absolute_uri(c.get_absolute_url()),
                    "created_at": s.iso(c.created_at),
                }
                for c in found
            ]
        )

    # Files and identity log --------------------------------------------------------------------
    @extend_schema(
        summary="Mengunggah lampiran",
        description="Pelapor: bukti laporannya. Penghubung OPD: berkas pada tindak lanjutnya (bawaan: entri "
        "terakhirnya). Isi berkas diperiksa; gambar disimpan ulang tanpa metadata, PDF dibangun ulang dari "
        "gambar halamannya; jenis lain ditolak (400). Penyimpanan penuh atau tidak dapat ditulis: 503, "
        "tidak ada yang tersimpan. `url` (sesi atau `Authorization: Token`) hanya melayani yang berhak "
        "melihatnya.",
        parameters=[TRACKING_PARAM],
        request={"multipart/form-data": s.UploadSerializer},
        responses={201: s.AttachmentSerializer, **errors(400, 401, 403, 404, 409, 503)},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def attachments(self, request, tracking_id=None):
        c = self.get_object()
        ser = s.UploadSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        user = request.user
        workflow.require(c, user, workflow.Action.ATTACH)
        own = Event.objects.filter(complaint=c, actor=user)
        event = None
        if ser.validated_data.get("event"):
            ref = ser.validated_data["event"].strip()
            pk = parse_pk(ref)
            if pk is not None:
                event = own.filter(pk=pk).first()
            else:  # the opaque id a non-staff caller reads on the timeline
                event = next((e for e in own if privacy.opaque_id("event", e.pk) == ref), None)
            if event is None:
                raise Invalid(fields={"event": [_("Entri linimasa ini bukan milik Anda pada laporan ini.")]})
        elif not privacy.is_reporter(c, user):
            staff_types = [
                EventType.FOLLOWUP,
                EventType.QUESTION,
                EventType.REPLY,
                EventType.FINISHED,
                EventType.EXTENDED,
                EventType.RETURNED,
            ]
            event = own.filter(type__in=staff_types).order_by("-created_at", "-pk").first()
            if event is None:
                raise Invalid(fields={"file": [_("Kirim tindak lanjut terlebih dahulu, lalu lampirkan berkasnya.")]})
        with uploads.removed_on_error():
            a = uploads.add_attachment(c, by=user, uploaded=ser.validated_data["file"], event=event)
            staff = bool(privacy.roles_on(c, user))
            data = s.attachment_data(a, request, staff=staff, reporter=privacy.is_reporter(c, user))
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Siapa yang melihat atau membuka identitas Anda",
        description="Hanya untuk pelapor laporan ini (yang lain: 404). Setiap entri menyebut nama petugas "
        "(`staff`), perannya, instansinya dan alasannya.",
        parameters=[TRACKING_PARAM],
        responses={200: s.IdentityAccessSerializer(many=True), **errors(401, 404)},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="identity-log",
        url_name="identity-log",
        pagination_class=None,
        filter_backends=[],
    )
    def identity_log(self, request, tracking_id=None):
        c = self.get_object()
        if not privacy.is_reporter(c, request.user):
            raise not_found()
        rows = (
            IdentityAccess.objects.filter(complaint=c).select_related("agency", "user").order_by("-created_at", "-pk")
        )
        return Response(s.IdentityAccessSerializer(rows, many=True).data)

    # Operator ---------------------------------------------------------------------------------
    verify = _WorkflowAction(
        "Verifikasi dan disposisi (operator)",
        s.VerifySerializer,
        lambda c, u, d: workflow.verify(
            c.pk, by=u, agencies=d["agencies"] if "agencies" in d else _suggested(c), note=d["note"]
        ),
        examples=[_ex("Ke Dinas PU", {"agencies": ["dinas-pu"], "note": "Mohon ditindaklanjuti."})],
    )

    dispose = _WorkflowAction(
        "Disposisi ke OPD lain, atau menolak pengembalian (operator)",
        s.DisposeSerializer,
        lambda c, u, d: workflow.dispose(c.pk, by=u, agencies=d["agencies"], note=d["note"]),
        description="Mendisposisikan lagi ke OPD yang mengembalikan laporan berarti menolak "
        "pengembalian itu dan wajib disertai `note`.",
        examples=[
            _ex("Tolak pengembalian", {"agencies": ["dinas-pu"], "note": "Jalan kabupaten, kewenangan Dinas PU."})
        ],
    )

    postpone = _WorkflowAction(
        "Tunda: minta pelapor melengkapi (operator)",
        s.ReasonSerializer,
        lambda c, u, d: workflow.postpone(c.pk, by=u, reason=d["reason"]),
        examples=[_ex("Minta lokasi", {"reason": "Mohon sebutkan lokasi persisnya."})],
    )

    archive = _WorkflowAction(
        "Arsipkan dengan alasan (operator)",
        s.ArchiveSerializer,
        lambda c, u, d: workflow.archive(c.pk, by=u, reason=d["reason"], note=d["note"]),
        examples=[_ex("Tidak valid", {"reason": "invalid", "note": "Bukan pelayanan publik."})],
    )

    merge = _WorkflowAction(
        "Gabungkan duplikat ke laporan utama (operator)",
        s.MergeSerializer,
        lambda c, u, d: workflow.merge(c.pk, by=u, into=s.normalize_tracking_id(d["into"]) or d["into"]),
        examples=[_ex("Gabung", {"into": "LPR-7K2M-9QXD"})],
    )

    forward = _WorkflowAction(
        "Teruskan ke instansi di luar daerah (operator)",
        s.ForwardSerializer,
        lambda c, u, d: workflow.forward(c.pk, by=u, institution=d["institution"], note=d["note"]),
        examples=[_ex("Ke PLN", {"institution": "pln", "note": "Gangguan listrik kewenangan PLN."})],
    )

    summary = _WorkflowAction(
        "Ringkasan publik (operator)",
        s.SummarySerializer,
        lambda c, u, d: workflow.edit_summary(c.pk, by=u, summary=d["summary"]),
        description="Publik membaca ringkasan ini sebagai `body`; petugas tetap melihat isi asli.",
        examples=[_ex("Ringkasan", {"summary": "Jalan berlubang di depan pasar."})],
    )

    reclassify = _WorkflowAction(
        "Ubah jenis, kategori, lokasi atau terlapor (operator)",
        s.ReclassifySerializer,
        lambda c, u, d: workflow.reclassify(c.pk, by=u, **d),
        description="Menyebut instansi terlapor yang belum ada langsung berlaku. Menghapus atau mengganti terlapor "
        "yang sudah disebut hanya membuat permintaan (`terlapor_change`, dengan `terlapor_reason`) yang diputuskan "
        "orang kedua lewat `terlapor-decision`; terlapor tetap sampai disetujui.",
        examples=[
            _ex("Kategori", {"category": "kesehatan"}),
            _ex(
                "Ganti terlapor",
                {"terlapor_agency": "dinkes", "terlapor_reason": "Kejadian di puskesmas, bukan di Dinas PU."},
            ),
        ],
    )

    terlapor_decision = _WorkflowAction(
        "Putuskan permintaan perubahan terlapor (pimpinan Diskominfo, auditor)",
        s.TerlaporDecisionSerializer,
        lambda c, u, d: workflow.decide_terlapor_change(c.pk, by=u, approve=d["approve"], reason=d["reason"]),
        description="Orang kedua — pimpinan Diskominfo atau auditor Inspektorat/BKD, bukan yang mengajukan dan bukan "
        "dari instansi terlapor — menyetujui (`approve: true`) atau menolak permintaan yang menunggu, dengan alasan. "
        "Hanya persetujuan yang mengubah terlapor; pelapor melihatnya di linimasa.",
        examples=[_ex("Setujui", {"approve": True, "reason": "Sudah diperiksa: terlapor memang keliru dipilih."})],
        routes={"url_path": "terlapor-decision", "url_name": "terlapor-decision"},
    )

    flag_oversight = _WorkflowAction(
        "Tandai berkadar pengawasan (operator)",
        s.FlagOversightSerializer,
        lambda c, u, d: workflow.flag_oversight(c.pk, by=u, terlapor_agency=d.get("terlapor_agency")),
        description="Disposisi yang masih berjalan ke instansi terlapor (dan unit di bawah atau di atasnya) ditarik "
        "seketika; `terlapor_agency` menyebut terlapor bila laporan belum menyebutnya.",
        examples=[_ex("Dengan terlapor", {"terlapor_agency": "dinas-pu"})],
        routes={"url_path": "flag_oversight", "url_name": "flag-oversight"},
    )

    attachment_visibility = _WorkflowAction(
        "Tampilkan/sembunyikan lampiran dari publik (operator)",
        s.AttachmentVisibilitySerializer,
        lambda c, u, d: workflow.set_attachment_public(c.pk, by=u, attachment=d["attachment"], public=d["public"]),
        examples=[_ex("Sembunyikan", {"attachment": 12, "public": False})],
        routes={"url_path": "attachment-visibility", "url_name": "attachment-visibility"},
    )

    # Reporter ---------------------------------------------------------------------------------
    complete = _WorkflowAction(
        "Lengkapi laporan tunda (pelapor)",
        s.BodySerializer,
        lambda c, u, d: workflow.complete(c.pk, by=u, body=d["body"]),
        examples=[_ex("Lengkapi", {"body": "Lokasinya di depan Pasar Baru, sisi timur."})],
    )

    reply = _WorkflowAction(
        "Tanggapan dalam dialog (pelapor atau penghubung)",
        s.BodySerializer,
        lambda c, u, d: workflow.reply(c.pk, by=u, body=d["body"]),
        examples=[_ex("Balas", {"body": "Terima kasih, lubangnya masih ada sampai hari ini."})],
    )

    accept = _WorkflowAction("Terima hasil tindak lanjut (pelapor)", None, lambda c, u, d: workflow.accept(c.pk, by=u))

    rate = _WorkflowAction(
        "Nilai penyelesaian 1–5 (pelapor)",
        s.RateSerializer,
        lambda c, u, d: workflow.rate(c.pk, by=u, score=d["score"], comment=d["comment"]),
        examples=[_ex("Puas", {"score": 5, "comment": "Cepat ditangani."})],
    )

    reopen = _WorkflowAction(
        "Buka kembali laporan selesai (pelapor)",
        s.ReopenSerializer,
        lambda c, u, d: workflow.reopen(c.pk, by=u, body=d["body"], dispositions=d.get("dispositions")),
        examples=[_ex("Buka kembali", {"body": "Lubang muncul lagi setelah hujan.", "dispositions": [3]})],
    )

    support = _WorkflowAction(
        "Dukung laporan publik yang masih terbuka (warga)",
        None,
        lambda c, u, d: workflow.support(c.pk, by=u),
    )

    change_privacy = _WorkflowAction(
        "Ubah privasi",
        s.PrivacySerializer,
        lambda c, u, d: workflow.change_privacy(c.pk, by=u, privacy_level=d["privacy"]),
        description="Pelapor menaikkan atau menurunkan; operator hanya menaikkan.",
        examples=[_ex("Rahasia", {"privacy": "rahasia"})],
        routes={"url_path": "privacy", "url_name": "privacy"},
    )

    withdraw = _WorkflowAction(
        "Cabut laporan sebelum diverifikasi (pelapor)", None, lambda c, u, d: workflow.withdraw(c.pk, by=u)
    )

    # Liaison ----------------------------------------------------------------------------------
    followup = _WorkflowAction(
        "Tindak lanjut (penghubung OPD)",
        s.DispositionBodySerializer,
        lambda c, u, d: workflow.followup(c.pk, by=u, disposition=d["disposition"], body=d["body"]),
        examples=[_ex("Tindak lanjut", {"disposition": 3, "body": "Tim sudah meninjau lokasi."})],
    )

    question = _WorkflowAction(
        "Pertanyaan kepada pelapor (penghubung OPD)",
        s.DispositionBodySerializer,
        lambda c, u, d: workflow.question(c.pk, by=u, disposition=d["disposition"], body=d["body"]),
        examples=[_ex("Tanya", {"disposition": 3, "body": "Di sisi mana jalan lubangnya?"})],
    )

    return_ = _WorkflowAction(
        "Kembalikan: bukan kewenangan (penghubung OPD)",
        s.DispositionReasonSerializer,
        lambda c, u, d: workflow.return_disposition(c.pk, by=u, disposition=d["disposition"], reason=d["reason"]),
        examples=[_ex("Kembalikan", {"disposition": 3, "reason": "Jalan nasional, kewenangan BPJN."})],
        routes={"url_path": "return", "url_name": "return"},
    )

    finish = _WorkflowAction(
        "Tandai tindak lanjut selesai (penghubung OPD)",
        s.DispositionSerializerIn,
        lambda c, u, d: workflow.finish(c.pk, by=u, disposition=d["disposition"]),
        examples=[_ex("Selesai", {"disposition": 3})],
    )

    extend = _WorkflowAction(
        "Perpanjang permintaan informasi sekali (penghubung OPD)",
        s.DispositionReasonSerializer,
        lambda c, u, d: workflow.extend(c.pk, by=u, disposition=d["disposition"], reason=d["reason"]),
        examples=[_ex("Perpanjang", {"disposition": 3, "reason": "Dokumen masih dikumpulkan dari arsip."})],
    )

    subdispose = _WorkflowAction(
        "Sub-disposisi ke unit di bawah OPD (penghubung OPD)",
        s.SubdisposeSerializer,
        lambda c, u, d: workflow.subdispose(c.pk, by=u, disposition=d["disposition"], unit=d["unit"]),
        examples=[_ex("Ke unit", {"disposition": 3, "unit": "dinas-pu-bina-marga"})],
    )

    # Auditor / operator -------------------------------------------------------------------------
    @_action_schema(
        "Buka identitas pelapor dengan alasan (auditor, operator)",
        s.RevealSerializer,
        description="Dicatat dan terlihat oleh pelapor di `identity-log`.",
        examples=[_ex("Buka", {"reason": "Pemeriksaan dugaan pungli memerlukan keterangan pelapor."})],
        response=s.IdentitySerializer,
    )
    @action(detail=True, methods=["post"])
    def reveal(self, request, tracking_id=None):
        c = self.get_object()
        ser = s.RevealSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        identity = workflow.reveal(c.pk, by=request.user, reason=ser.validated_data["reason"])
        return Response({"reporter": identity})


# Notifications ----------------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(
        summary="Notifikasi dalam aplikasi milik Anda",
        responses={200: s.NotificationSerializer(many=True), **errors(400, 401, 404)},
    ),
)
class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.NotificationSerializer
    permission_classes = [IsActiveUser]
    pagination_class = Pagination
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return (
            Notification.objects.filter(
                recipient=self.request.user, channel=Notification.Channel.INAPP, sent_at__isnull=False
            )
            .select_related("complaint")
            .order_by("-created_at", "-pk")
        )

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        # A notice about a report the caller cannot see shows no report, subject or text.
        items = notify.redact_unseen(request.user, page)
        return self.get_paginated_response(s.NotificationSerializer(items, many=True).data)

    @extend_schema(
        summary="Tandai sudah dibaca",
        request=None,
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)],
        responses={200: s.NotificationSerializer, **errors(401, 404)},
    )
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        if int(pk) > s.MAX_DB_INT:
            raise Http404(_("Notifikasi tidak ditemukan."))
        n = self.get_queryset().filter(pk=int(pk)).first()
        if n is None:
            raise Http404(_("Notifikasi tidak ditemukan."))
        if n.read_at is None:
            from django.utils import timezone

            n.read_at = timezone.now()
            n.save(update_fields=["read_at"])
        return Response(s.NotificationSerializer(notify.redact_unseen(request.user, [n])[0]).data)


# Sanctions ---------------------------------------------------------------------------------------
# The example body of each decision on a sanction recommendation.
_SANCTION_EXAMPLES = {
    "confirm": {"reason": "Bukti eskalasi lengkap dan tidak ada klarifikasi yang menggugurkan."},
    "waive": {"reason": "Keterlambatan akibat gangguan sistem yang terdokumentasi."},
    "clarify": {"clarification": "Petugas penghubung sedang cuti sakit; sudah ditunjuk pengganti."},
}


class _SanctionDecision(_PostAction):
    """A decision on a sanction recommendation: `decide(pk, user, value)` with the one field of
    `serializer`; the answer is the recommendation with its evidence."""

    def __init__(self, summary, decide, serializer):
        self.summary, self.decide, self.serializer = summary, decide, serializer

    def answer(self, view, request, pk=None):
        (field,) = self.serializer().fields
        return view._decide(request, pk, self.decide, self.serializer, field)

    def schema(self, method):
        return extend_schema(
            summary=self.summary,
            request=self.serializer,
            parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)],
            responses={200: s.SanctionSerializer, **errors(400, 401, 403, 404, 409)},
            examples=[_ex("Contoh", _SANCTION_EXAMPLES[self.name])],
        )(method)


class SanctionViewSet(viewsets.GenericViewSet):
    """TPP sanction recommendations (docs/product.md §5): read by auditors and the agency's head,
    decided by an Inspektorat/BKD auditor not of that agency. Built on `complaints.deadlines.sanctions`."""

    serializer_class = s.SanctionSerializer
    permission_classes = [ReadsSanctions]
    pagination_class = None
    lookup_value_regex = r"\d+"

    @extend_schema(
        summary="Rekomendasi sanksi TPP",
        parameters=[OpenApiParameter("month", str, description="YYYY-MM; kosong: semua bulan.")],
        responses={200: s.SanctionSerializer(many=True), **errors(400, 401, 403)},
    )
    def list(self, request):
        month = request.query_params.get("month") or None
        rows = sanctions.with_evidence_for(request.user, sanctions.sanctions_visible_to(request.user, month))
        return Response(s.SanctionSerializer(rows, many=True).data)

    def _decide(self, request, pk, fn, serializer_class, field):
        if int(pk) > s.MAX_DB_INT:
            raise Http404(_("Rekomendasi sanksi tidak ditemukan."))
        ser = serializer_class(data=request.data)
        ser.is_valid(raise_exception=True)
        sanction = fn(int(pk), request.user, ser.validated_data[field])
        sanction = sanctions.get_sanction(request.user, sanction.pk)
        sanctions.with_evidence_for(request.user, [sanction])
        return Response(s.SanctionSerializer(sanction).data)

    confirm = _SanctionDecision("Konfirmasi sanksi (auditor Inspektorat/BKD)", sanctions.confirm, s.ReasonSerializer)
    waive = _SanctionDecision("Batalkan sanksi (auditor Inspektorat/BKD)", sanctions.waive, s.ReasonSerializer)
    clarify = _SanctionDecision("Klarifikasi pimpinan instansi", sanctions.clarify, s.ClarificationSerializer)


# Catch-all ---------------------------------------------------------------------------------------
@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
@permission_classes([AllowAny])
@throttle_classes([])
def not_found_view(request, *args, **kwargs):
    """Unknown API paths answer JSON too (docs/product.md §8: JSON errors always)."""
    return Response({"detail": _("Alamat API tidak ditemukan.")}, status=status.HTTP_404_NOT_FOUND)


__all__ = [
    "AgencyViewSet",
    "CategoryViewSet",
    "AreaViewSet",
    "ComplaintViewSet",
    "NotificationViewSet",
    "SanctionViewSet",
    "not_found_view",
]
