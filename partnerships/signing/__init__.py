"""The signing flow of an MoU on top of `partnerships.signing` (which works on bytes only):
who signs when, what is stored, and the MoU's move to signed.

- `setup`: the signers, trust roots and options the deployment configured.
- `revisions`: the stored PDF revisions and the lock every signature takes to add one.
- `authority`: the authority's certification, first.
- `invitations`: the link to the partner's legal representative and its one-time codes.
- `business`: the business signs (registry seal with a code, or its own certificate) or
  declines.
- `completion`: after the last signature, the archive timestamp and the move to signed.
- `certificate`: the completion certificate (PDF).
- `verdicts`: a verification verdict in plain words.

Services raise `partnerships.mous.lifecycle.MouError` with a message for the user; every change
is one transaction with its audit events.
"""
