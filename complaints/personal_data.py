"""The reports' side of a citizen's personal data (PDP rights of access and erasure). `accounts`
announces an export or an erasure with its signals (`accounts.signals`); complaints connects these
receivers in `ComplaintsConfig.ready`, so the account app never reaches up into the reports."""

from complaints import privacy
from complaints.models import AreaFollow, Attachment, Complaint, IdentityAccess, InboundSms, Notification, Support
from complaints.outbox import notify


def iso(value):
    return value.isoformat() if value else None


def export_reports(sender, user, **kwargs):
    """The user's reports with their timeline entries and files, the reports they follow, their
    notifications, and who viewed or revealed their identity: sections of `accounts.services.export_data`."""
    reports = []
    own = (
        Complaint.objects.visible_to(user)
        .filter(reporter=user)
        .select_related("category", "kecamatan", "kelurahan", "target_agency", "terlapor_agency")
        .prefetch_related("dispositions__agency", "attachments")
        .order_by("created_at")
    )
    for c in own:
        reports.append(
            {
                "tracking_id": c.tracking_id,
                "kind": c.kind,
                "privacy": c.privacy,
                "status": c.status,
                "channel": c.channel,
                "title": c.title,
                "body": c.body,
                "category": c.category.slug if c.category else None,
                "location": c.location_text,
                "kecamatan": c.kecamatan.name if c.kecamatan else None,
                "kelurahan": c.kelurahan.name if c.kelurahan else None,
                "lat": str(c.lat) if c.lat is not None else None,
                "lng": str(c.lng) if c.lng is not None else None,
                "incident_date": iso(c.incident_date),
                "target_agency": c.target_agency.slug if c.target_agency else None,
                "terlapor_agency": c.terlapor_agency.slug if c.terlapor_agency else None,
                "created_at": iso(c.created_at),
                "verified_at": iso(c.verified_at),
                "closed_at": iso(c.closed_at),
                "rating": c.rating,
                "rating_comment": c.rating_comment,
                "dispositions": [
                    {"agency": d.agency.slug, "status": d.status, "due_at": iso(d.due_at)} for d in c.dispositions.all()
                ],
                "attachments": [
                    {
                        "name": a.original_name,
                        "content_type": a.content_type,
                        "size": a.size,
                        "created_at": iso(a.created_at),
                    }
                    for a in c.attachments.all()
                    if a.uploaded_by_id == user.pk
                ],
                "timeline": [
                    {"type": e.type, "created_at": iso(e.created_at), "actor": e.actor_label, "body": e.body}
                    for e in privacy.timeline_for(c, user)
                ],
                "identity_access": [
                    privacy.identity_access_entry(a, iso)
                    for a in IdentityAccess.objects.filter(complaint=c).select_related("agency", "user")
                ],
            }
        )
    return {
        "reports": reports,
        "supported": [
            {"tracking_id": s.complaint.tracking_id, "kind": s.kind, "created_at": iso(s.created_at)}
            for s in Support.objects.filter(user=user).select_related("complaint")
        ],
        "area_follows": [
            {
                "email": f.email,
                "kecamatan": f.kecamatan.name if f.kecamatan else None,
                "kelurahan": f.kelurahan.name if f.kelurahan else None,
                "category": f.category.name if f.category else None,
                "created_at": iso(f.created_at),
                "confirmed_at": iso(f.confirmed_at),
                "last_digest_at": iso(f.last_digest_at),
            }
            for f in AreaFollow.objects.filter(user=user).select_related("kecamatan", "kelurahan", "category")
        ],
        "notifications": [
            {
                "created_at": iso(n.created_at),
                "channel": n.channel,
                "subject": n.subject,
                "text": n.text,
                "report": n.complaint.tracking_id if n.complaint else None,
            }
            for n in notify.redact_unseen(user, Notification.objects.filter(recipient=user).select_related("complaint"))
        ],
    }


def erase_reports(sender, user, phone=None, phone_verified=False, **kwargs):
    """Erase the user's identity from the reports' rows, in `accounts.services.erase_account`'s
    transaction: notifications and the account's follows of areas are deleted, file names and manual contact fields blanked, and the
    SMS log forgets a number the account had proved."""
    Notification.objects.filter(recipient=user).delete()
    AreaFollow.objects.filter(user=user).delete()  # and their digests: nothing more is sent
    Attachment.objects.filter(uploaded_by=user).update(original_name="")
    Complaint.objects.filter(reporter=user).update(walkin_name="", walkin_contact="")
    if phone and phone_verified:
        # Only a number the account proved: the SMS log of a number merely typed is someone else's.
        InboundSms.objects.filter(sender=phone).update(sender="")
