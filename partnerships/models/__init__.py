from partnerships.models.audit import AuditEvent
from partnerships.models.documents import (
    DocumentTemplate,
    MouDocument,
    RenderStatus,
    TemplateVersion,
    sha256_hex,
)
from partnerships.models.imports import ImportBatch, ImportStatus
from partnerships.models.mous import (
    DOCUMENT_TYPE_CODE,
    Mou,
    MouLanguage,
    MouState,
    MouTemplate,
    Pledge,
    PledgeKind,
)
from partnerships.models.parties import (
    Authority,
    AuthorityLevel,
    Contact,
    Partner,
    PartnerStatus,
    Role,
    TargetGroup,
    UserProfile,
    validate_tax_code,
)
from partnerships.models.placements import (
    Confirmation,
    ConsentScope,
    ContractType,
    Gender,
    Person,
    Placement,
    PlacementStatus,
)
from partnerships.models.ratelimits import RateLimitCounter
from partnerships.models.reviews import Assessment, Review, ReviewKind
from partnerships.models.signatures import Signature, SignatureMethod, SignatureParty
from partnerships.models.signing import (
    CompletionCertificate,
    InvitationOutcome,
    PdfRevision,
    RevisionKind,
    SigningCode,
    SigningInvitation,
)
from partnerships.models.tallies import TALLY_COUNTS, DeliveryTally
from partnerships.models.workers import WorkerHeartbeat

__all__ = [
    "DOCUMENT_TYPE_CODE",
    "TALLY_COUNTS",
    "Assessment",
    "AuditEvent",
    "Authority",
    "AuthorityLevel",
    "CompletionCertificate",
    "Confirmation",
    "ConsentScope",
    "Contact",
    "ContractType",
    "DeliveryTally",
    "DocumentTemplate",
    "Gender",
    "ImportBatch",
    "ImportStatus",
    "InvitationOutcome",
    "Mou",
    "MouDocument",
    "MouLanguage",
    "MouState",
    "MouTemplate",
    "Partner",
    "PartnerStatus",
    "PdfRevision",
    "Person",
    "Placement",
    "PlacementStatus",
    "Pledge",
    "PledgeKind",
    "RateLimitCounter",
    "RenderStatus",
    "Review",
    "ReviewKind",
    "RevisionKind",
    "Role",
    "Signature",
    "SignatureMethod",
    "SignatureParty",
    "SigningCode",
    "SigningInvitation",
    "TargetGroup",
    "TemplateVersion",
    "UserProfile",
    "WorkerHeartbeat",
    "sha256_hex",
    "validate_tax_code",
]
