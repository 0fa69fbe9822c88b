"""Where the signature fields go: the marker text a template prints at the top of each
signature area, through the variables `sign_here_authority` and `sign_here_business`.

Kept apart from `fields` (which loads pyHanko) so that filling a template needs only this.
"""

SIGNATURE_ANCHORS = {"authority": "SIGN_HERE_AUTHORITY", "business": "SIGN_HERE_BUSINESS"}
