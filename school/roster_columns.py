"""Roster columns that several roster kinds share."""

from __future__ import annotations

from school.roster_files import Column

STUDENT_NO = Column("student_no", "col.student_no", ("student_no", "student id", "studentid"))
CLASS = Column("class", "col.class", ("班級代碼", "班級代號", "班別", "class", "class_code"))
GRADE = Column("grade", "col.grade", ("grade",))
ACADEMIC_YEAR = Column("academic_year", "col.academic_year", ("academic_year", "school_year"))
SEMESTER = Column("semester", "col.semester", ("semester",))
COURSE_CODE = Column("course_code", "col.course_code", ("course_code", "code"))
