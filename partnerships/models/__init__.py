from .audit import AuditEvent
from .documents import DocumentTemplate, MouDocument, RenderStatus, TemplateVersion, sha256_hex
from .imports import ImportBatch, ImportStatus
from .mous import (
    DOCUMENT_TYPE_CODE,
    Mou,
    MouLanguage,
    MouState,
    MouTemplate,
    Pledge,
    PledgeKind,
)
from .parties import (
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
from .placements import (
    Confirmation,
    ConsentScope,
    ContractType,
    Gender,
    Person,
    Placement,
    PlacementStatus,
)
from .reviews import Assessment, Review, ReviewKind
from .signatures import Signature, SignatureMethod, SignatureParty

__all__ = [
    "DOCUMENT_TYPE_CODE",
    "Assessment",
    "AuditEvent",
    "Authority",
    "AuthorityLevel",
    "Confirmation",
    "ConsentScope",
    "Contact",
    "ContractType",
    "DocumentTemplate",
    "Gender",
    "ImportBatch",
    "ImportStatus",
    "Mou",
    "MouDocument",
    "MouLanguage",
    "MouState",
    "MouTemplate",
    "Partner",
    "PartnerStatus",
    "Person",
    "Placement",
    "PlacementStatus",
    "Pledge",
    "PledgeKind",
    "RenderStatus",
    "Review",
    "ReviewKind",
    "Role",
    "Signature",
    "SignatureMethod",
    "SignatureParty",
    "TargetGroup",
    "TemplateVersion",
    "UserProfile",
    "sha256_hex",
    "validate_tax_code",
]
