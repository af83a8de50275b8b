"""Where a category's reports go: `route_for(category, kecamatan)`."""

from . import reference
from .models import Area


def route_for(category, kecamatan):
    """The agency a report of `category` in `kecamatan` is routed to: the category's route for
    that kecamatan (an OPD or one of its units) when there is one and its agency is active,
    otherwise the category's default agency (None without either). `kecamatan` is an Area (a
    kelurahan stands for its kecamatan), a kecamatan's pk, or None."""
    if category is None:
        return None
    if isinstance(kecamatan, Area):
        kecamatan_id = kecamatan.parent_id if kecamatan.level == Area.Level.KELURAHAN else kecamatan.pk
    else:
        kecamatan_id = kecamatan
    if kecamatan_id is not None:
        # The routes, kept per process with the agencies (agencies/reference.py).
        agency_id = reference.tables()["routes"].get((category.pk, kecamatan_id))
        if agency_id is not None:
            agency = reference.row("agencies", agency_id)
            if agency is not None:
                return agency
    if category.default_agency_id is None:
        return None
    # A copy of the kept agency: the category may itself be a kept row, whose relations are shared.
    return reference.row("agencies", category.default_agency_id) or category.default_agency
