"""The guide's sample Central Sequence endpoint (Part B, 5.3), made runnable: read the row, add one, write.

Kept as the guide has it (no lock, no unique constraint) so bench/sequence.py can count the duplicates
it hands out under the same load as the generated service.
"""

import os

from fastapi import Depends, FastAPI
from pydantic import BaseModel
from sqlalchemy import BigInteger, Column, Integer, Text, create_engine
from sqlalchemy.orm import Session, declarative_base, sessionmaker

Base = declarative_base()


class SequenceDB(Base):
    __tablename__ = "guide_sequences"
    id = Column(Integer, primary_key=True)
    element_type = Column(Text)
    element_id = Column(BigInteger)
    sequence_number = Column(BigInteger)


class SequenceRequest(BaseModel):
    elementType: str
    elementId: int
    comment: str


def create_app() -> FastAPI:
    """The guide's endpoint on DATABASE_URL."""
    engine = create_engine(os.environ["DATABASE_URL"], pool_size=20, max_overflow=20)
    Base.metadata.create_all(engine)
    sessions = sessionmaker(engine)
    app = FastAPI()

    def get_db():
        with sessions() as db:
            yield db

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok"}

    @app.post("/v2/sequence", status_code=201)
    def generate_sequence_number(request: SequenceRequest, db: Session = Depends(get_db)) -> dict:
        sequence = (
            db.query(SequenceDB).filter_by(element_type=request.elementType, element_id=request.elementId).first()
        )
        if not sequence:
            sequence = SequenceDB(element_type=request.elementType, element_id=request.elementId, sequence_number=1)
            db.add(sequence)
        else:
            sequence.sequence_number += 1
        db.commit()
        db.refresh(sequence)
        return {"sequenceNumber": sequence.sequence_number}

    return app
