-- 0014: "How likely are you to recommend us?" (0-10) asked after a visit, beside the 1-5
-- satisfaction score; the NPS role segment (promoter / passive / detractor) reads it.
ALTER TABLE visit ADD COLUMN nps INTEGER CHECK (nps BETWEEN 0 AND 10);
