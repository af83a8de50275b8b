"""/ikuti/: following a kecamatan, kelurahan or category by email (README, "Ikuti wilayah").

A signed-in account whose email is verified follows at once; any other address gets a signed
confirmation link and hears nothing else until it is opened. Every digest carries a signed one-click
unsubscribe link (`List-Unsubscribe`, RFC 8058: a POST without a form token; a GET only shows the
button, so a mail scanner that opens links unsubscribes nobody). The answer to a subscription
request is the same whether or not the address already follows (it tells nothing about others).
"""

from datetime import timedelta

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from complaints.models import AreaFollow
from complaints.outbox import digests
from complaints.portal.forms import FollowForm

UNCONFIRMED_PER_ADDRESS = 5


def _verified_email(user):
    if user.is_authenticated and user.email and getattr(user, "email_verified", False):
        return user.email
    return ""


def _own_follows(user):
    if not user.is_authenticated:
        return AreaFollow.objects.none()
    own = AreaFollow.objects.filter(user=user)
    email = _verified_email(user)
    if email:
        own = AreaFollow.objects.filter(user=user) | AreaFollow.objects.filter(email__iexact=email)
    return own.select_related("kecamatan", "kelurahan", "category").order_by("created_at", "pk")


@never_cache
@require_http_methods(["GET", "POST"])
def follow(request):
    user = request.user
    email = _verified_email(user)
    if request.method == "POST" and request.POST.get("action") == "unfollow":
        if not user.is_authenticated:
            raise Http404
        _own_follows(user).filter(pk=request.POST.get("follow", "").strip() or None).delete()
        messages.success(request, _("Anda berhenti mengikuti wilayah itu."))
        return redirect("complaints:follow")
    if request.method == "POST":
        form = FollowForm(request.POST)
        if email:
            form.data = form.data.copy()
            form.data["email"] = email  # an account follows with its own verified address
        if form.is_valid():
            _subscribe(request, form.cleaned_data, email)
            return redirect("complaints:follow")
    else:
        initial = {"email": user.email if user.is_authenticated else ""}
        for key in ("kecamatan", "kelurahan", "category"):
            if request.GET.get(key):
                initial[key] = request.GET[key]
        form = FollowForm(initial=initial)
    if email:
        form.fields["email"].disabled = True
    follows = list(_own_follows(user))
    for f in follows:
        f.what = digests.describe(f)
    return render(request, "complaints/follow.html", {"form": form, "follows": follows, "verified_email": email})


def _subscribe(request, data, verified_email):
    address = data["email"].strip()
    wanted = {"kecamatan": data.get("kecamatan"), "kelurahan": data.get("kelurahan"), "category": data.get("category")}
    with transaction.atomic():
        existing = AreaFollow.objects.filter(email__iexact=address, **wanted).first()
        follow = existing or AreaFollow(email=address, **wanted)
        if verified_email and address.lower() == verified_email.lower():
            follow.user = request.user
            follow.confirmed_at = follow.confirmed_at or timezone.now()
            follow.save()
            messages.success(
                request,
                _("Anda mengikuti %(what)s. Ringkasan dikirim sehari sekali.") % {"what": digests.describe(follow)},
            )
            return
        if follow.confirmed_at is None and _may_send_confirmation(address, existing):
            if existing:
                existing.delete()  # asked again a day later: a new request, a new link
                follow = AreaFollow(email=address, **wanted)
            follow.save()
            language = getattr(request, "LANGUAGE_CODE", None)
            transaction.on_commit(lambda: _send_confirmation(follow, language))
    messages.success(
        request,
        _(
            "Jika alamat itu belum mengikuti wilayah ini, kami mengirim tautan konfirmasi ke sana. Buka tautan itu untuk mulai menerima ringkasan."
        ),
    )


def _may_send_confirmation(address, existing):
    """Whether to mail a confirmation link: the form must not become a way to flood someone's
    mailbox. A request already waiting gets no second mail within a day, and an address gets at
    most UNCONFIRMED_PER_ADDRESS pending requests."""
    if existing is not None:
        return existing.created_at < timezone.now() - timedelta(days=1)
    pending = AreaFollow.objects.filter(email__iexact=address, confirmed_at__isnull=True).count()
    return pending < UNCONFIRMED_PER_ADDRESS


def _send_confirmation(follow, language):
    try:
        digests.send_confirmation(follow, language)
    except Exception:  # noqa: BLE001 - the citizen can ask again; nothing else waits on it
        digests.log.warning("confirmation mail for follow %s failed", follow.pk)


@never_cache
@require_GET
def confirm(request, token):
    follow = digests.follow_for_confirmation(token)
    if follow is None:
        raise Http404(_("Tautan tidak berlaku."))
    if follow.confirmed_at is None:
        AreaFollow.objects.filter(pk=follow.pk, confirmed_at__isnull=True).update(confirmed_at=timezone.now())
    return render(request, "complaints/follow_done.html", {"what": digests.describe(follow), "confirmed": True})


@never_cache
@csrf_exempt  # RFC 8058: mail clients POST the one-click unsubscribe without a form; the signed token is the proof
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    follow = digests.follow_for_unsubscribe(token)
    if follow is None:
        raise Http404(_("Tautan tidak berlaku."))
    what = digests.describe(follow)
    if request.method == "POST":
        follow.delete()
        return render(request, "complaints/follow_done.html", {"what": what, "unsubscribed": True})
    return render(request, "complaints/follow_unsubscribe.html", {"what": what})
