"""Made-up Vietnamese full names shared by the generators (people, signatories)."""

PEOPLE = [
    "Nguyễn Văn An", "Trần Thị Bích", "Lê Minh Châu", "Phạm Quốc Dũng", "Võ Thị Hạnh",
    "Huỳnh Văn Khoa", "Đặng Thị Lan", "Bùi Thanh Long", "Đỗ Thị Mai", "Ngô Văn Nam",
    "Dương Thị Oanh", "Lý Văn Phúc", "Hồ Thị Quyên", "Võ Minh Tâm", "Phan Văn Thắng",
]  # fmt: skip
