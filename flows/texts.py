"""The catalogue: every text a person reads from the bot, Traditional Chinese, in one place."""

from __future__ import annotations

from typing import Any

TEXTS: dict[str, str] = {
    # --- general ---
    "general.error": "系統暫時忙碌，您剛才傳的內容已保存，請稍後再試一次。",
    "general.unknown_input": "我不太懂這句話。輸入「說明」可以看看能做什麼。",
    "general.coming_soon": "「{feature}」即將推出，敬請期待。",
    # --- conversations ---
    "flow.unexpected": "這一步需要的不是這個喔。",
    "flow.help": "目前正在進行一項操作。照著提示回覆即可；輸入「上一步」返回，輸入「取消」結束。",
    "flow.no_back": "已經是第一步了。",
    "flow.cancelled": "已取消。需要時再從選單開始就好。",
    "flow.resume_offer": "你有一份尚未送出的草稿{what}。要繼續完成嗎？",
    "flow.draft_discarded": "草稿已捨棄。",
    # --- binding ---
    "bind.greeting": (
        "歡迎使用學習歷程檔案小幫手！\n"
        "請先綁定身分：輸入學校發給您的 8 碼綁定碼（例如 K7PM-2QXA）。\n"
        "沒有綁定碼請洽導師或教務處註冊組。"
    ),
    "bind.welcome_back": "歡迎回來！輸入「說明」可以看看能做什麼。",
    "bind.how_to": (
        "您還沒有綁定身分，請輸入學校發給您的 8 碼綁定碼（例如 K7PM-2QXA）。\n"
        "沒有綁定碼請洽導師或教務處註冊組。"
    ),
    "bind.ok": "綁定成功！{who}。",
    "bind.ok_guardian": "綁定成功！您已是 {child} 的家長（{who}）。若有其他孩子，再輸入另一張綁定碼即可。",
    "bind.wrong": "這組綁定碼不正確，請對照紙條再輸入一次（還可再試 {left} 次）。",
    "bind.expired": "這組綁定碼已過期，請向導師或註冊組索取新的綁定碼。",
    "bind.used": "這組綁定碼已經使用過了。如果不是您本人使用，請立即告知導師或註冊組。",
    "bind.locked": "輸入錯誤的次數太多，為保護帳號安全，請於 {until} 後再試。",
    "bind.other_person": "這個 LINE 帳號已綁定其他身分。請先輸入「解除綁定」，再輸入新的綁定碼。",
    "bind.replaced_elsewhere": "您的身分已在另一個 LINE 帳號重新綁定，這個帳號已解除綁定。如非本人操作，請立即聯絡註冊組。",
    "who.student": "{name}（{where}，學生）",
    "who.student_where": "{cls} 班 {seat} 號",
    "who.staff": "{name}（{roles}）",
    "who.teacher_default": "教師",
    "who.guardian": "家長（{children}）",
    "account.card": "目前綁定：{who}\n換手機時，在新手機輸入新的綁定碼即可，舊帳號會自動解除。",
    "unbind.confirm": "確定要解除綁定嗎？解除後需要新的綁定碼才能再使用。",
    "unbind.kept": "好的，維持綁定。",
    "unbind.done": "已解除綁定。日後要使用，請輸入新的綁定碼。",
    "desk.not_for_you": "這項功能不適用於您的身分。輸入「說明」看看您可以做什麼。",
    "desk.stale_button": "這個按鈕已經失效了，請從選單重新開始。",
    "desk.file_without_flow": "收到檔案了，但還不知道要放在哪裡。請先從選單點「上傳」或「多元表現」，再傳檔案。",
    "guardian.no_children": "目前沒有與您綁定的孩子。請輸入孩子的家長綁定碼。",
    "guardian.pick_child": "要看哪一位孩子的進度？",
    "guardian.not_your_child": "只能查看與您綁定的孩子。",
    "guardian.no_semester": "目前不在學期中，{name} 暫時沒有新的進度。",
    "guardian.progress": (
        "{name} {term} 學期的學習歷程：\n"
        "・課程學習成果：已上傳 {uploaded}/{limit} 件（已認證 {certified}、待認證 {pending}、退回 {rejected}）\n"
        "・多元表現：本學年 {performances} 件"
    ),
    # --- help per role ---
    "help.student": "可以這樣用：\n・上傳：上傳課程學習成果\n・多元表現：登錄多元表現\n・我的歷程：看進度與認證結果\n・勾選：學年末勾選要提交的項目\n隨時輸入「取消」可結束目前操作。",
    "help.teacher": "可以這樣用：\n・待認證：查看並認證學生的課程學習成果\n・諮詢紀錄：新增課程諮詢紀錄（課程諮詢教師）",
    "help.homeroom": "可以這樣用：\n・待認證：查看並認證學生的課程學習成果\n・班級進度：查看班上上傳與認證情形\n・諮詢紀錄：新增課程諮詢紀錄（課程諮詢教師）",
    "help.guardian": "可以這樣用：\n・孩子進度：查看孩子的學習歷程進度\n・說明會：查看並回覆親師說明會",
    "help.staff": "可以這樣用：\n・待辦：查看本週應辦事項\n・公告：查看已發出的公告\n名冊匯入、綁定碼、匯出等請使用後台指令 portfolio --help。",
    # --- section: upload (course outcomes, performances, my portfolio) ---
    # --- end section: upload ---
    # --- section: certify (certification, proxies, class progress) ---
    # --- end section: certify ---
    # --- section: schedule (reminders, notices, events) ---
    # --- end section: schedule ---
    # --- section: picking (picks, export, receipts) ---
    # --- end section: picking ---
    # --- section: records (consultations, cadres, grade 12, graduation) ---
    # --- end section: records ---
    # --- section: media (files, conversion, limits) ---
    # Keys come from storage/media.py (FitResult.reason); values are filled there: sizes read as
    # "4.1" (MB, rounded up), kinds as the format names phones show (jpg, HEIC, mov ...).
    "media.accepted": "目前只接受照片（jpg、png、HEIC）、PDF、mp4 影片和 mp3 音訊。",
    "media.kept": "收到了！檔案 {size} MB，在 {limit} MB 上限以內。",
    "media.compressed": (
        "檔案原本 {before} MB，超過 {limit} MB 上限，已幫你壓縮成 {size} MB。請打開看看是否清楚。"
    ),
    "media.converted": "已幫你把 {source} 轉成 {target}（{size} MB），中央資料庫才收得下。",
    "media.photos_combined": (
        "已把 {count} 張照片依傳送順序合成一份 PDF（{size} MB，上限 {limit} MB）。"
        "請打開看看字是否清楚。"
    ),
    "media.unsupported": (
        "目前只接受照片（jpg、png、HEIC）、PDF、mp4 影片和 mp3 音訊。"
        "這個檔案是 {kind}，請換個格式再傳一次。"
    ),
    "media.unknown_format": (
        "我認不出這個檔案的格式。目前只接受照片（jpg、png、HEIC）、PDF、mp4 影片和 mp3 音訊，"
        "請換個格式再傳一次。"
    ),
    "media.expected_photo": "這裡需要照片，但這個檔案是 {kind}。請傳 jpg、png 或 HEIC 照片。",
    "media.expected_pdf": "這裡需要 PDF，但這個檔案是 {kind}。請傳 PDF 檔。",
    "media.expected_av": "這裡需要影片或音訊，但這個檔案是 {kind}。請傳 mp4 影片或 mp3 音訊。",
    "media.unreadable": "這個檔案好像壞掉了，我打不開。請重新拍照或重新匯出後再傳一次。",
    "media.image_too_big": "這張照片的解析度太高，我處理不了。請用相機的一般模式重拍，或截圖後再傳。",
    "media.too_large": (
        "這個檔案是 {size} MB，超過 {limit} MB 上限，我試著壓縮仍然太大。"
        "請改傳較少頁數，或分成兩件上傳。"
    ),
    "media.photos_too_large": (
        "這 {count} 張照片壓縮後合起來仍有 {size} MB，超過 {limit} MB 上限。"
        "請少傳幾張，或分成兩件上傳。"
    ),
    "media.pdf_locked": "這份 PDF 設了密碼，我打不開。請取消密碼後再傳一次。",
    "media.heic_unsupported": (
        "目前無法轉換 HEIC 照片。請在 iPhone「設定 › 相機 › 格式」改選「最相容」後重拍，"
        "或截圖後再傳。"
    ),
    "media.no_converter": (
        "這個 {kind} 檔要轉成 {target} 才能上傳，但目前系統沒有轉檔工具。"
        "請在手機上轉成 {target} 後再傳一次。"
    ),
    "media.no_converter_too_large": (
        "這個 {kind} 檔是 {size} MB，超過 {limit} MB 上限，目前系統沒有壓縮工具。"
        "請先在手機上剪短或降低畫質後再傳一次。"
    ),
    "media.av_too_long": (
        "這段影音有 {minutes} 分鐘，壓到 {limit} MB 以下會太模糊。請剪到 {max_minutes} 分鐘以內再傳。"
    ),
    "media.av_too_large": "這段影音壓縮後仍有 {size} MB，超過 {limit} MB 上限。請剪短一點再傳。",
    "media.converter_failed": (
        "轉檔時出了問題。請稍後再試一次；若一直失敗，請在手機上轉成 {target} 後再傳。"
    ),
    "media.download_too_large": (
        "這個檔案超過 {limit} MB，太大了我收不下。請先在手機上壓縮或剪短後再傳。"
    ),
    # --- end section: media ---
    # --- section: rules (school rules, windows, schedule) ---
    # Scheduled notices (storage/school_rules/*.toml rows point here by key). Placeholders come
    # from SchoolRules.notice_values(year, semester): dates read as 2027/2/3.
    "rules.notice.basic_data_check": (
        "【註冊組】{academic_year} 學年度第 {semester} 學期開學了，"
        "請再次檢核學生基本資料（學籍資料），並依來文提交。"
    ),
    "rules.notice.course_codes_check": (
        "【教學組・註冊組】請匯入本學期課程代碼，核對學生修課科目（含必修、選修）與授課教師。"
    ),
    "rules.notice.cadre_records": "【訓育組・社團組】請登錄本學期校內（班級）幹部經歷紀錄。",
    "rules.notice.grades_entry": "【註冊組】請於學業表現歷程平台填報學生學業成績。",
    "rules.notice.autobiography": (
        "高三下學期了：請完成自傳／學習計畫（生涯規劃、自我期許、專長、興趣）與其他備審資料，"
        "導師與輔導室會協助檢核。"
    ),
    "rules.notice.upload_course_outcomes": (
        "本學期課程學習成果請在 {upload_end} 前上傳，每學期至多 {co_upload_limit} 件，"
        "上傳後由任課教師認證。按下方按鈕就能直接從手機上傳。"
    ),
    "rules.notice.upload_course_outcomes_last_call": (
        "提醒：課程學習成果上傳將於 {upload_end} 截止，還沒上傳的同學請把握時間。"
    ),
    "rules.notice.upload_performances": (
        "本學期的多元表現（競賽、幹部、證照、服務學習等）請在 {performance_upload_end} 前上傳，"
        "每學期至多 {pf_upload_limit} 件、每學年至多 {pf_year_limit} 件。"
    ),
    "rules.notice.homeroom_progress": (
        "【導師】本學期課程學習成果上傳期限為 {upload_end}，請督促班上尚未上傳的同學。"
    ),
    "rules.notice.consultation_records": (
        "【課程諮詢教師】學期即將結束，請登錄本學期的團體及個別諮詢紀錄（日期、時間、地點、內容）。"
    ),
    "rules.notice.certify": (
        "請在 {certification_end} 前完成學生課程學習成果認證。"
        "認證是確認「這是學生本人的作品、歸在正確的科目」，不是評分。"
    ),
    "rules.notice.certify_last_call": (
        "認證將於 {certification_end} 截止；{escalation_date} 起尚未認證的項目會轉給代理人處理。"
    ),
    "rules.notice.pick_course_outcomes": (
        "{academic_year} 學年度勾選開始：請在 {picking_end} 前勾選至多 {co_pick_limit} 件"
        "課程學習成果，提交至中央資料庫。"
    ),
    "rules.notice.pick_performances": (
        "請在 {picking_end} 前確認並勾選至多 {pf_pick_limit} 件多元表現，提交至中央資料庫。"
    ),
    "rules.notice.pick_last_call": (
        "提醒：勾選將於 {picking_end} 截止，沒有勾選的項目不會送到中央資料庫。"
    ),
    "rules.notice.submit_course_outcomes": (
        "【教學組】{academic_year} 學年度學生勾選已截止，請依國教署來文提交勾選之課程學習成果。"
    ),
    "rules.notice.submit_performances": (
        "【訓育組】{academic_year} 學年度學生勾選已截止，請依國教署來文提交勾選之多元表現。"
    ),
    "rules.notice.confirm_receipt": (
        "中央資料庫已回傳收訖明細：請在 {receipt_end} 前逐筆確認，有錯誤請按「回報錯誤」。"
    ),
    # Buttons under a notice, one per flow a schedule row starts (action label <= 20).
    "rules.button.check_basic_data": "檢核基本資料",
    "rules.button.check_courses": "核對課程資料",
    "rules.button.enter_cadres": "登錄幹部紀錄",
    "rules.button.write_autobiography": "撰寫自傳／學習計畫",
    "rules.button.upload_course_outcome": "上傳課程學習成果",
    "rules.button.upload_performance": "上傳多元表現",
    "rules.button.class_progress": "查看班級進度",
    "rules.button.record_consultation": "登錄諮詢紀錄",
    "rules.button.certify": "前往認證",
    "rules.button.pick": "開始勾選",
    "rules.button.export_picks": "匯出勾選清單",
    "rules.button.confirm_receipt": "確認收訖明細",
    # Window names and what to say when someone acts outside a window.
    "rules.window.upload": "課程學習成果上傳",
    "rules.window.performance_upload": "多元表現上傳",
    "rules.window.certification": "課程學習成果認證",
    "rules.window.picking": "勾選",
    "rules.window.receipt_confirmation": "收訖明細確認",
    "rules.window_not_open": "{window}期間是 {start} 至 {end}，現在還沒開始喔。",
    "rules.window_closed": "{window}已於 {end} 截止。若有特殊情況，請洽教務處註冊組。",
    "rules.limit_reached": "{what}{scope}至多 {limit} 件，目前已達上限。",
    "rules.scope.uploads_per_semester": "每學期",
    "rules.scope.uploads_per_year": "每學年",
    "rules.scope.picks_per_year": "每學年勾選",
    # --- end section: rules ---
    # --- section: richmenu (menu labels) ---
    "menu.chat_bar": "學習歷程選單",
    "menu.upload.label": "上傳成果",
    "menu.upload.hint": "課程學習成果",
    "menu.performance.label": "多元表現",
    "menu.performance.hint": "競賽、幹部、證照",
    "menu.portfolio.label": "我的歷程",
    "menu.portfolio.hint": "進度與認證狀態",
    "menu.pick.label": "勾選",
    "menu.pick.hint": "選送中央資料庫",
    "menu.account.label": "帳號綁定",
    "menu.account.hint": "綁定與帳號資料",
    "menu.help.label": "說明",
    "menu.help.hint": "使用方式",
    "menu.certify.label": "待認證",
    "menu.certify.hint": "課程學習成果認證",
    "menu.class_progress.label": "班級進度",
    "menu.class_progress.hint": "全班上傳與認證",
    "menu.consult.label": "諮詢紀錄",
    "menu.consult.hint": "限課程諮詢教師",
    "menu.child_progress.label": "孩子進度",
    "menu.child_progress.hint": "上傳與認證情形",
    "menu.briefing.label": "說明會",
    "menu.briefing.hint": "親師說明會資訊",
    "menu.todo.label": "待辦",
    "menu.todo.hint": "通知與截止期限",
    "menu.notice.label": "公告",
    "menu.notice.hint": "發送公告",
    # --- end section: richmenu ---
}


class MissingText(KeyError):
    pass


def text(key: str, /, **values: Any) -> str:
    """The catalogue text for key with its placeholders filled in."""
    try:
        template = TEXTS[key]
    except KeyError as exc:
        raise MissingText(key) from exc
    return template.format(**values) if values else template
