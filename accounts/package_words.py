"""Words that packages show in the admin but translate into fewer languages than the portal
speaks (django-axes' model names, django-guardian's "Object permissions" link), marked here
so that the portal's catalogs carry them: a catalog in LOCALE_PATHS comes before a
package's own (docs/i18n.md)."""

from django.utils.translation import gettext_noop

AXES_NAMES = (
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
)
GUARDIAN_NAMES = (gettext_noop("Object permissions"),)
