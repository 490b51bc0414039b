"""The forms, one module per feature, beside what they serve:

accounts     the first administrator, signing up from an invitation, a forgotten password
connections  a connection to a Soclook account
handlers     a handler, built from the handler-type registry
teams        a team's name, an invitation, a member's role
journal      the change journal's filters
imports      the file to import
exports      the export's format and secrets
copying      where a copy of handlers goes
setups       saving, changing and adding a saved set-up

Views import a form from its feature's module. The names below are also here because the views
of copying, exports and saved set-ups import them from the package.
"""

from handlers_app.forms.copying import CopyDestinationForm
from handlers_app.forms.exports import HandlerExportForm
from handlers_app.forms.setups import SetupApplyForm, SetupForm, SetupSaveForm

__all__ = [
    "CopyDestinationForm",
    "HandlerExportForm",
    "SetupApplyForm",
    "SetupForm",
    "SetupSaveForm",
]
