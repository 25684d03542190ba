"""党费 (dues): the brackets and months, recording, arrears, declared income, the Excel import."""
