"""Atom feeds of public reports: all of them, per kecamatan, per kelurahan and per category
(Django's syndication framework). A public surface (docs/privacy.md): the reports come from
`Complaint.objects.visible_to(AnonymousUser())`, each entry carries what the public page shows —
title, public summary or text, status, kecamatan/kelurahan, category — never the reporter (no
author element), never an anonim report's free-text location, never exact coordinates."""

from django.contrib.auth.models import AnonymousUser
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.utils.feedgenerator import Atom1Feed
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from agencies.models import Area, Category
from complaints import privacy
from complaints.models import Complaint
from complaints.portal.forms import category_label

ITEMS = 50


class ReportsFeed(Feed):
    feed_type = Atom1Feed

    def title(self, obj=None):
        if obj is None:
            return _("Laporan warga terbaru")
        return _("Laporan warga: %(what)s") % {"what": self._name(obj)}

    def subtitle(self, obj=None):
        return _("Laporan publik yang sudah diverifikasi operator; laporan rahasia tidak pernah tampil.")

    def _name(self, obj):
        return str(obj)

    def link(self, obj=None):
        return "/laporan/"

    def filter(self, qs, obj):
        return qs

    def items(self, obj=None):
        qs = Complaint.objects.visible_to(AnonymousUser()).public()
        qs = self.filter(qs, obj)
        return qs.select_related("category", "kecamatan", "kelurahan").order_by("-verified_at", "-pk")[:ITEMS]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        parts = [f"{_('Status')}: {item.get_status_display()}"]
        if item.category_id:
            parts.append(category_label(item.category))
        if item.kelurahan_id:
            parts.append(item.kelurahan.name)
        if item.kecamatan_id:
            parts.append(_("Kec. %(name)s") % {"name": item.kecamatan.name})
        text = Truncator(privacy.public_text(item, AnonymousUser())).chars(500)
        return f"{' · '.join(parts)}\n\n{text}"

    def item_link(self, item):
        return item.get_absolute_url()

    def item_guid(self, item):
        return item.get_absolute_url()

    def item_pubdate(self, item):
        return item.verified_at

    def item_categories(self, item):
        return [category_label(item.category)] if item.category_id else []


class KecamatanFeed(ReportsFeed):
    def get_object(self, request, code):
        return get_object_or_404(Area, code=code, level=Area.Level.KECAMATAN)

    def _name(self, obj):
        return _("Kecamatan %(name)s") % {"name": obj.name}

    def link(self, obj):
        return f"/laporan/?kecamatan={obj.pk}"

    def filter(self, qs, obj):
        return qs.filter(kecamatan=obj)


class KelurahanFeed(ReportsFeed):
    def get_object(self, request, code):
        return get_object_or_404(Area, code=code, level=Area.Level.KELURAHAN)

    def _name(self, obj):
        return _("Kelurahan/desa %(name)s") % {"name": obj.name}

    def filter(self, qs, obj):
        return qs.filter(kelurahan=obj)


class CategoryFeed(ReportsFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Category, slug=slug)

    def _name(self, obj):
        return category_label(obj)

    def link(self, obj):
        return f"/laporan/?category={obj.slug}"

    def filter(self, qs, obj):
        return qs.filter(category=obj)
