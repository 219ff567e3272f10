"""The sentences the pages' scripts write, in the reader's language.

A script (static/js/upload.js, search.js' quick-save, suggest.js) cannot call gettext, so its
page hands it a table from English to the reader's language in a ``data-words`` attribute (JSON);
the script shows English for a sentence the table lacks. ``{name}`` placeholders are the
script's own.
"""

from __future__ import annotations

from flask_babel import gettext

from marketplace.i18n.markers import N_

SCRIPTS: dict[str, tuple[str, ...]] = {
    "upload": (
        N_("Waiting to upload"),
        N_("Uploading"),
        N_("Checking the file"),
        N_("Processing"),
        N_("Draft: describe it"),
        N_("Waiting for review"),
        N_("Published"),
        N_("Rejected"),
        N_("Failed"),
        N_("Not uploaded"),
        N_("Uploaded. Checking that it is a photo or video we can use…"),
        N_("Uploaded. We are making the watermarked preview and reading the camera details."),
        N_("Ready. Give it a title and keywords, then send it to the curators."),
        N_("Sent to the curators, who review it before it goes on sale."),
        N_("On sale in the catalogue."),
        N_("A curator did not accept it. Their reason is on its page."),
        N_("The connection was lost before the upload finished."),
        N_("You are no longer signed in. Sign in again in another tab, then add this file again."),
        N_("This page has expired. Reload it and add the file again."),
        N_("This file is larger than the server accepts."),
        N_("Too many uploads at once. Wait a minute and try again."),
        N_("Something went wrong on our side. Try this file again in a few minutes."),
        N_("The upload did not work (error {status}). Try again."),
        N_("This file is {size}, more than the {limit} we accept per file."),
        N_("This file is empty, or it is a folder. Choose the photo or video files themselves."),
        N_("Upload of {name}"),
        N_("{sent} of {size}"),
        N_("Try again"),
        N_("Try uploading {name} again"),
        N_("{size} uploaded"),
        N_("The connection was lost before the upload finished. Check your connection."),
        N_("The upload was stopped."),
        N_("Describe it and send it for review"),
        N_("See its details"),
        N_("We could not process this file."),
        N_("{count} of {total} uploaded"),
        N_("{count} uploading"),
        N_("{count} waiting"),
        N_("{count} not uploaded"),
        N_("{count} could not be processed"),
        N_("{size} MB"),
        N_("{size} GB"),
    ),
    "quick_save": (
        N_("The connection was lost. Check it and try again."),
        N_("You are no longer signed in. Sign in again, then save."),
        N_("This page has expired. Reload it and try again."),
        N_("Could not save (error {status}). Please try again."),
        N_("Saved"),
        N_("Saved to “{name}”."),
        N_("Saving…"),
        N_("{count} item"),
        N_("{count} items"),
        N_("Already in “{name}”."),
        N_("Loading your lightboxes…"),
        N_("You have no lightboxes yet: name your first one."),
        N_("Name the new lightbox first."),
    ),
    "suggest": (
        N_("{count} keyword"),
        N_("{count} keywords"),
        N_("the title"),
        N_("the description"),
        N_("{first} and {last}"),
        N_("Added {list}. Press “Save details” to keep them."),
        N_("Everything suggested is already in the form."),
    ),
}


def script_words(script: str) -> dict[str, str]:
    """English -> the reader's language for every sentence of ``script`` (a key of SCRIPTS)."""
    return {english: gettext(english) for english in SCRIPTS[script]}
