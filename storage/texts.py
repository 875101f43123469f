"""The catalogue: every text a person reads, from chat or staff commands, in Traditional Chinese."""

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
    "guardian.progress_off": "學校目前沒有開放家長查看孩子的學習歷程進度；說明會等通知仍會照常寄給您。",
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
    # Course outcome upload (flows/upload.py); shared refusals and counts.
    "upload.window_name.course_outcome": "課程學習成果上傳",
    "upload.window_name.performance": "多元表現上傳",
    "upload.window_not_open": "{window}期間是 {start} 至 {end}，現在還沒開始，到時候再來上傳喔。",
    "upload.window_closed": (
        "{window}期間是 {start} 至 {end}，已經截止了。若有特殊情況，請洽教務處註冊組。"
    ),
    "upload.window_none": "學校還沒有公布本學期的{window}期間，請留意公告或洽教務處註冊組。",
    "upload.no_term": "現在不在任何學期內，暫時不能上傳。請留意學校公告。",
    "upload.no_courses": "找不到你 {term} 學期的修課資料，請洽教務處註冊組確認。",
    "upload.item_name.course_outcome": "課程學習成果",
    "upload.item_name.performance": "多元表現",
    "upload.scope.uploads_per_semester": "每學期",
    "upload.scope.uploads_per_year": "每學年",
    "upload.limit_reached": "{what}{scope}至多 {limit} 件，你已經有 {limit} 件了：",
    "upload.limit_item": "{n}. {title}（{term}，{status}）",
    "upload.limit_how_outcome": (
        "想換成新的作品，請到「我的歷程」撤回一件「待認證」的成果，再回來上傳。"
    ),
    "upload.limit_all_certified": "這些都已認證，不能撤回，所以本學期不能再上傳了。",
    "upload.limit_how_performance": "想換成新的紀錄，請到「我的歷程」撤回一件，再回來登錄。",
    "upload.count_semester": "本學期第 {n}",
    "upload.count_year": "本學年第 {n}",
    "upload.used_semester": "本學期 {n}",
    "upload.used_year": "本學年 {n}",
    "upload.status.draft": "草稿",
    "upload.status.pending": "待認證",
    "upload.status.certified": "已認證",
    "upload.status.rejected": "退回",
    "upload.status.submitted": "已登錄",
    "upload.status.withdrawn": "已撤回",
    "upload.ask_course": "要上傳哪一科的課程學習成果？（{count}）\n請點下方的科目。",
    "upload.ask_course_paged": (
        "要上傳哪一科的課程學習成果？（{count}）\n第 {page}/{pages} 頁：\n{listing}\n"
        "請點下方的科目，或按「下一頁」。"
    ),
    "upload.page_prev": "上一頁",
    "upload.page_next": "下一頁",
    "upload.course_unknown": "找不到這個科目，請點下方按鈕選擇本學期的科目。",
    "upload.ask_files": (
        "請傳「{course}」的作品：照片（可一次選多張）、PDF，或影片／錄音檔。\n"
        "目前收到：{status}\n傳完請按「下一步」。"
    ),
    "upload.files_none": "還沒有檔案",
    "upload.files_photos": "照片 {n} 張",
    "upload.files_one": "{name}（{size} MB）",
    "upload.file_kind.application": "PDF 文件",
    "upload.file_kind.image": "照片",
    "upload.file_kind.video": "影片",
    "upload.file_kind.audio": "錄音",
    "upload.got_photo": "收到照片了（目前共 {total} 張）。",
    "upload.got_photos": "收到 {n} 張照片了（目前共 {total} 張），會依順序合成一份 PDF。",
    "upload.more_or_next": "還有要傳的就繼續傳，傳完請按「下一步」。",
    "upload.photos_replace_pdf": "這些照片會取代先前傳的 PDF。",
    "upload.pdf_replaces_photos": "已改用這份 PDF，先前的 {n} 張照片不會放進去。",
    "upload.replaced_document": "已用這份文件取代先前的文件。",
    "upload.replaced_video": "已用這個影音檔取代先前的影音檔。",
    "upload.files_hint": "請直接傳照片、PDF 或影片／錄音；傳完按「下一步」。",
    "upload.nothing_yet": "還沒收到作品喔。請先傳照片、PDF 或影片／錄音，再按「下一步」。",
    "upload.cleared": "已清除先前傳的檔案，請重新傳作品。",
    "upload.photos_kept": "你傳的照片都還保留著，可以再按一次「下一步」，或按「清除重傳」重新拍。",
    "upload.draft_kept": "草稿已保留，稍後可以從「我的歷程」繼續。",
    "upload.button_next": "下一步",
    "upload.button_clear": "清除重傳",
    "upload.ask_summary": (
        "請寫一段簡述（{limit} 字以內）：這件作品做了什麼、學到什麼。"
    ),
    "upload.ask_summary_again": (
        "目前的簡述：{summary}\n要修改就直接傳新的簡述（{limit} 字以內），或按「沿用」。"
    ),
    "upload.button_keep_summary": "沿用",
    "upload.summary_empty": "簡述不能空白，請用一兩句話說明這件作品。",
    "upload.summary_too_long": "簡述最多 {limit} 字，你寫了 {n} 字，請刪短一點再傳。",
    "upload.summary_needed": "請直接打字傳簡述給我。",
    "upload.summary_expected": "這一步需要的是文字簡述喔。",
    "upload.card_title": "確認送出課程學習成果",
    "upload.card_alt": "確認送出：{course} 課程學習成果",
    "upload.card_course": "科目",
    "upload.card_course_value": "{course}（{teacher} 老師）",
    "upload.card_summary": "簡述",
    "upload.card_files": "檔案",
    "upload.card_count": "件數",
    "upload.card_deadline": "認證截止",
    "upload.teacher_unknown": "任課",
    "upload.deadline_unknown": "依學校公告",
    "upload.button_submit": "送出",
    "upload.button_edit_summary": "修改簡述",
    "upload.button_more_files": "修改檔案",
    "upload.button_view": "看看文件",
    "upload.confirm_hint": "確認沒問題請按「送出」；要修改請按卡片上的按鈕，或輸入「取消」。",
    "upload.submitted": (
        "已送出「{course}」課程學習成果（{count}），等待 {teacher} 老師於 {deadline} 前認證。"
        "認證結果會在「我的歷程」看到。"
    ),
    "upload.already_sent": "這件已經送出過了，可以在「我的歷程」查看。",
    "upload.draft_gone": "找不到這份草稿了，可能已經送出或刪除。可以在「我的歷程」查看。",
    "upload.cancelled": "已取消，這份草稿已刪除。需要時再從選單開始就好。",
    "upload.draft_description": "（{course} 課程學習成果）",
    "upload.replacing": (
        "重新上傳「{course}」：上次退回的原因是「{reason}」。這次的作品會取代被退回的那件。"
    ),
    "upload.no_reason": "未填寫原因",
    "upload.replace_not_found": "找不到這件成果，請從「我的歷程」重新操作。",
    "upload.replace_not_rejected": "這件成果沒有被退回，不需要重新上傳。",
    "upload.replace_already_replaced": "這件退回的成果已經重新上傳過了，可以在「我的歷程」查看。",
    # Receiving files from LINE (flows/intake.py).
    "intake.fetch_failed": "這個檔案沒收到，請再傳一次。",
    "intake.gone": "LINE 已經刪除這個檔案了，請從手機相簿重新傳一次。",
    "intake.line_failed": "LINE 處理這個影音檔時失敗了，請重新傳一次，或換一個檔案。",
    "intake.not_ready": "LINE 還在處理這個檔案，請過一兩分鐘再傳一次。",
    "intake.not_a_file": "這裡需要照片、PDF 或影片／錄音檔。",
    "intake.too_many_pages": (
        "一件作品最多 {limit} 張照片。請按「下一步」合成，或按「清除重傳」重新挑照片。"
    ),
    # 多元表現 (flows/performance.py).
    "performance.type.cadre": "幹部經歷暨事蹟紀錄",
    "performance.type.competition": "競賽參與紀錄",
    "performance.type.certificate": "檢定證照紀錄",
    "performance.type.service": "服務學習紀錄",
    "performance.type.flexible": "彈性學習時間紀錄",
    "performance.type.group_activity": "團體活動時間紀錄",
    "performance.type.workplace": "職場學習紀錄",
    "performance.type.works": "作品成果紀錄",
    "performance.type.university_course": "大學及技專校院先修課程紀錄",
    "performance.type.other": "其他多元表現紀錄",
    "performance.field.unit": "單位名稱",
    "performance.field.start": "開始日期",
    "performance.field.end": "結束日期",
    "performance.field.position": "擔任職務",
    "performance.field.level": "等級",
    "performance.field.name": "名稱",
    "performance.field.item": "項目",
    "performance.field.award": "獎項（沒有得獎請填「參加」）",
    "performance.field.result_date": "結果公布日期",
    "performance.field.team": "個人或團體",
    "performance.field.code": "證照或檢定名稱（或代碼）",
    "performance.field.score": "分數",
    "performance.field.sub_scores": "分項結果（例如 聽力 250、閱讀 230）",
    "performance.field.obtained": "取得日期",
    "performance.field.number": "證照字號",
    "performance.field.group": "檢定組別",
    "performance.field.organisation": "單位名稱",
    "performance.field.hours": "時數",
    "performance.field.category": "類別",
    "performance.field.title": "名稱",
    "performance.field.organiser": "主辦單位",
    "performance.field.year": "學年度",
    "performance.field.semester": "學期",
    "performance.field.periods_per_week": "每週節數",
    "performance.field.weeks": "週數",
    "performance.field.periods": "節數",
    "performance.field.date": "日期",
    "performance.field.programme": "計畫名稱",
    "performance.field.course": "課程名稱",
    "performance.field.credits": "學分數",
    "performance.field.cadre.unit": "服務單位（班級、社團或處室）",
    "performance.field.cadre.level": "幹部等級",
    "performance.field.competition.name": "競賽名稱",
    "performance.field.competition.item": "競賽項目",
    "performance.field.competition.level": "競賽等級",
    "performance.field.service.name": "服務名稱",
    "performance.field.service.organisation": "服務單位",
    "performance.field.service.hours": "服務時數",
    "performance.field.flexible.category": "彈性學習類別",
    "performance.field.flexible.organiser": "開設單位",
    "performance.field.group_activity.category": "活動類別",
    "performance.field.group_activity.organiser": "辦理單位",
    "performance.field.group_activity.title": "活動名稱",
    "performance.field.workplace.category": "職場學習類別",
    "performance.field.workplace.organisation": "機構名稱",
    "performance.field.works.title": "作品名稱",
    "performance.field.works.date": "完成日期",
    "performance.field.university_course.organiser": "開設學校",
    "performance.ask_type": "要登錄哪一種多元表現？（{count}）\n{listing}\n請點下方按鈕選擇。",
    "performance.type_unknown": "請點下方按鈕，選一種多元表現的類型。",
    "performance.field_head": "{type}（{n}/{total}）",
    "performance.ask_text": "請輸入{label}（{limit} 字以內）。",
    "performance.ask_number": "請輸入{label}（數字{unit}）。",
    "performance.integer_hint": "，整數",
    "performance.ask_choice": "請選擇{label}。",
    "performance.ask_year": "請選擇{label}，或直接輸入數字（例如 115）。",
    "performance.ask_date": "請選擇{label}，也可以直接輸入，例如 2026/10/1。",
    "performance.button_pick_date": "選擇日期",
    "performance.button_skip": "略過",
    "performance.current_value": "目前填的是：{value}",
    "performance.skipped": "（略過）",
    "performance.semester_value": "第 {n} 學期",
    "performance.required": "「{label}」一定要填喔。",
    "performance.bad_date": "看不懂這個{label}，請按「選擇日期」，或輸入像 2026/10/1 這樣的日期。",
    "performance.date_out_of_range": (
        "{label}不在合理範圍內（不能是未來的日子，也不能太早），請再確認一次。"
    ),
    "performance.date_before_start": "{label}不能早於開始日期 {start}，請再選一次。",
    "performance.type_it": "請直接打字輸入{label}。",
    "performance.pick_choice": "請點下方按鈕選擇{label}。",
    "performance.bad_year": "請輸入學年度的數字，例如 115。",
    "performance.bad_number": "{label}要填數字，例如 12。",
    "performance.whole_number": "{label}要填整數，例如 2。",
    "performance.number_range": "{label}要在 {low} 到 {high} 之間，請再確認一次。",
    "performance.one_decimal": "{label}最多填到小數點後一位，例如 1.5。",
    "performance.empty_text": "「{label}」不能空白。",
    "performance.text_too_long": "{label}最多 {limit} 字，你寫了 {n} 字，請精簡一點。",
    "performance.ask_summary": "請寫內容簡述（{limit} 字以內）：做了什麼、有什麼收穫。",
    "performance.ask_files": (
        "可以傳證明文件：獎狀或證書的照片、PDF，或影片。\n目前收到：{status}\n"
        "傳完或沒有要傳，請按「下一步」。"
    ),
    "performance.more_or_next": "還有要傳的就繼續傳，傳完請按「下一步」。",
    "performance.files_hint": "請直接傳照片、PDF 或影片；沒有要傳就按「下一步」。",
    "performance.button_files_done": "下一步",
    "performance.card_title": "確認儲存多元表現",
    "performance.card_alt": "確認儲存：{type}",
    "performance.card_type": "類型",
    "performance.card_summary": "內容簡述",
    "performance.card_files": "證明文件",
    "performance.button_save": "儲存",
    "performance.confirm_hint": "確認沒問題請按「儲存」；要修改請按卡片上的按鈕，或輸入「取消」。",
    "performance.saved": "已儲存「{type}」（{count}）。學年末記得到「勾選」選擇要提交的項目。",
    "performance.draft_description": "（多元表現：{type}）",
    # 我的學習歷程 (flows/my_portfolio.py).
    "portfolio.counts": (
        "【我的學習歷程】{year} 學年度第 {semester} 學期\n"
        "課程學習成果：{outcomes}\n多元表現：{performances}"
    ),
    "portfolio.empty": "目前還沒有任何項目。點「上傳」或「多元表現」開始吧！",
    "portfolio.alt": "我的學習歷程：共 {n} 件",
    "portfolio.page": "第 {page}/{pages} 頁",
    "portfolio.term": "{term} 學期",
    "portfolio.no_summary": "（還沒寫簡述）",
    "portfolio.pending_with": "待認證（{teacher} 老師）",
    "portfolio.rejected": "退回：{reason}",
    "portfolio.rejected_replaced": "退回（已重新上傳）",
    "portfolio.button_document": "看文件",
    "portfolio.button_video": "看影音",
    "portfolio.button_proof": "看證明文件",
    "portfolio.button_withdraw": "撤回",
    "portfolio.button_replace": "重新上傳",
    "portfolio.button_resume": "繼續填寫",
    "portfolio.button_withdraw_sure": "確定撤回",
    "portfolio.button_keep": "先不要",
    "portfolio.withdraw_question": "確定要撤回「{title}」這件{what}嗎？撤回後就不再計入件數。",
    "portfolio.kept": "好的，維持原樣。",
    "portfolio.withdrawn": "已撤回「{title}」。現在{count}。",
    "portfolio.not_found": "找不到這個項目，請從「我的歷程」重新操作。",
    "portfolio.cannot_withdraw": "這個項目現在不能撤回。",
    "portfolio.cannot_withdraw_certified": "這件已經認證了，不能撤回。",
    "portfolio.cannot_withdraw_rejected": (
        "這件已經被退回，不計入件數，不需要撤回；可以按「重新上傳」。"
    ),
    "portfolio.cannot_withdraw_withdrawn": "這件已經撤回過了。",
    "portfolio.cannot_withdraw_draft": "這件還是草稿，從「繼續填寫」打開後輸入「取消」就能刪除。",
    "portfolio.cannot_withdraw_picked": "這件已經勾選提交中央資料庫，不能撤回。",
    "portfolio.cannot_withdraw_not_found": "找不到這個項目，請從「我的歷程」重新操作。",
    # Signed file links (bot/files_view.py): page titles and bodies.
    "link.expired.title": "連結已過期",
    "link.expired.body": (
        "為了保護個人資料，檔案連結只在一段時間內有效。"
        "請回到 LINE 重新打開「我的歷程」取得新連結。"
    ),
    "link.forbidden.title": "無法查看這個檔案",
    "link.forbidden.body": "這個連結無效，或你沒有查看這個檔案的權限。請回到 LINE 重新打開。",
    "link.gone.title": "檔案已不存在",
    "link.gone.body": "這個檔案已經不存在了。如有疑問，請洽教務處註冊組。",
    "upload.finish_current_first": (
        "你正在填寫另一份草稿。請先把它送出，或輸入「取消」刪除它，再開始新的。"
    ),
    "upload.count_of_limit": "{count}/{limit} 件",
    "upload.count_no_limit": "{count} 件",
    # --- end section: upload ---
    # --- section: certify (certification, proxies, class progress) ---
    # Capacities a certifier acts in (rule 七).
    "certify.capacity.teacher": "任課教師",
    "certify.capacity.successor": "接任教師",
    "certify.capacity.convener": "科召集人",
    "certify.capacity.designee": "召集人指定教師",
    "certify.verdict.certified": "通過",
    "certify.verdict.rejected": "退回",
    # The list (待認證) and its cards. Labels <= 20 characters.
    "certify.none": "目前沒有待認證的課程學習成果。有新的項目時，我會在每天 {time} 彙整通知您。",
    "certify.none_immediate": "目前沒有待認證的課程學習成果。有新的項目時會通知您。",
    "certify.list": "待認證共 {count} 件（{courses}）。\n這裡是第 {first}–{last} 件：每張卡片按「通過」或「退回」即可。",
    "certify.list_course": "{course} {count} 件",
    "certify.alt": "待認證 {count} 件：{courses}",
    "certify.card.course": "{course}・{cls}",
    "certify.card.submitted": "{date} 送出",
    "certify.card.escalated": "轉給您代理認證",
    "certify.card.no_summary": "（沒有簡述）",
    "certify.card.video": "影片",
    "certify.card.document": "文件",
    "certify.button.approve": "通過",
    "certify.button.reject": "退回",
    "certify.button.open": "開啟{kind}",
    "certify.button.next": "下一頁",
    "certify.button.approve_page": "全部通過本頁",
    "certify.more": "還有 {count} 件待認證",
    "certify.more_hint": "按「下一頁」繼續。",
    # Answers to taps.
    "certify.approved": "已通過：{who}「{course}」。",
    "certify.approved_left": "已通過：{who}「{course}」。還有 {left} 件待認證。",
    "certify.rejected": "已退回：{who}「{course}」（{reason}）。已通知學生修改後重新上傳。",
    "certify.already": "這件已由 {name}（{capacity}）於 {when} {verdict}，不需再處理。",
    "certify.withdrawn": "學生已撤回這件作品，不需要認證了。",
    "certify.not_pending": "這件目前不在待認證狀態，不需要處理。",
    "certify.not_certifier": "這件目前由 {name}（{capacity}）負責認證，您不需要處理。",
    "certify.not_certifier_nobody": "這件目前不是由您負責認證，您不需要處理。",
    "certify.stale": "這張卡片已經過期了，請用下面這張最新的。",
    "certify.bad_ref": "這個按鈕無法辨識，請輸入「待認證」重新查看。",
    "certify.missing": "找不到這件作品，可能已被刪除。請輸入「待認證」重新查看。",
    "certify.window_not_open": "{term} 學期的認證期間是 {start} 至 {end}，現在還不能認證。",
    "certify.window_closed": "{term} 學期的認證期間是 {start} 至 {end}，已經截止了。如需補認證，請洽教務處註冊組。",
    "certify.window_unset": "學校還沒有設定 {term} 學期的認證期間，請洽教務處註冊組。",
    # Rejecting: the reason.
    "certify.reason.ask": "要退回 {who}「{course}」嗎？請選擇原因，或直接輸入原因（{max} 字以內）。",
    "certify.reason.not_own": "非本人作品",
    "certify.reason.wrong_subject": "科目不符",
    "certify.reason.unreadable": "檔案無法開啟",
    "certify.reason.incomplete": "內容不完整",
    "certify.reason.too_long": "原因請在 {max} 字以內，請再輸入一次。",
    "certify.reason.empty": "請選擇或輸入退回原因。",
    "certify.reason.cancelled": "已取消退回，{who}「{course}」仍待認證。",
    "certify.reason.help": "請選擇退回原因，或直接輸入原因；學生會收到原因並重新上傳。輸入「取消」可不退回。",
    # Approving a whole page.
    "certify.page.confirm": "確定要通過本頁 {count} 件嗎？\n{who}",
    "certify.page.yes": "確定通過",
    "certify.page.no": "先不要",
    "certify.page.kept": "好的，沒有變更。",
    "certify.page.done": "已通過 {count} 件。",
    "certify.page.done_left": "已通過 {count} 件，還有 {left} 件待認證。",
    "certify.page.skipped": "另有 {count} 件已由他人處理、已撤回或不在認證期間，沒有變更。",
    # Pushed to students.
    "certify.student.rejected": "你的「{course}」課程學習成果被退回了。\n原因：{reason}\n（{name}老師，{when}）\n請修改後按「重新上傳」，科目已幫你選好。",
    "certify.student.reupload": "重新上傳",
    "certify.student.alt_rejected": "「{course}」課程學習成果被退回，請重新上傳",
    "certify.student.approved": "好消息！你的課程學習成果已通過認證：{items}。",
    "certify.student.approved_item": "「{course}」",
    # The daily push to a certifier.
    "certify.push.header": "【待認證】您有 {count} 件課程學習成果待認證（其中 {new} 件是新的），請在 {end} 前完成。",
    "certify.push.escalated_in": "・{count} 件原由 {name} 認證的項目，依代理人規定轉給您認證，請在 {end} 前完成。",
    "certify.push.escalated_out": "・您有 {count} 件未認證項目已依代理人規定轉給 {name} 處理，不需再認證。",
    "certify.push.notes_only": "【認證通知】",
    # The homeroom view (班級進度). Rows: seat name uploaded/pending/certified/rejected.
    "progress.header": "{cls} 班 {term} 課程學習成果\n座號 姓名　上傳／待認證／已認證／退回",
    "progress.row": "{seat} {name}　{uploaded}／{pending}／{certified}／{rejected}",
    "progress.nothing": "尚未上傳（{count} 人）：{names}",
    "progress.all_uploaded": "全班都已上傳至少一件，辛苦了！",
    "progress.not_homeroom": "您目前沒有擔任導師的班級。",
    "progress.no_semester": "目前不在學期中，沒有進度可看。",
    "progress.remind.button": "提醒未上傳同學",
    "progress.remind.confirm": "要用 LINE 推播提醒 {reach} 位尚未上傳的同學嗎？會用掉 {cost} 則訊息額度（本月已用 {used}／{quota}）。{unreachable}",
    "progress.remind.unreachable": "另有 {count} 位還沒綁定 LINE，請當面提醒。",
    "progress.remind.yes": "送出提醒",
    "progress.remind.no": "先不要",
    "progress.remind.sent": "已提醒 {count} 位同學（用掉 {cost} 則訊息額度）。",
    "progress.remind.already": "{cls} 班今天已經提醒過了，明天再提醒吧。",
    "progress.remind.none": "沒有可以用 LINE 提醒的同學（都已上傳，或還沒綁定 LINE）。",
    "progress.remind.kept": "好的，沒有送出。",
    "progress.remind.over_quota": "本月訊息額度只剩 {left} 則，不夠提醒 {cost} 位同學。請當面提醒，或洽註冊組。",
    "progress.remind.message": "{cls} 班同學你好：本學期的課程學習成果你還沒有上傳喔！請在 {end} 前上傳（每學期至多 {limit} 件），從選單點「上傳成果」就能用手機上傳。—導師 {teacher}",
    # --- end section: certify ---
    # --- section: schedule (reminders, notices, events) ---
    # A reminder is the rules notice (rules.notice.*) plus where the person stands (jobs/reminders.py).
    "schedule.standing.upload": "本學期已上傳 {count}/{limit} 件，截止 {deadline}。",
    "schedule.standing.drafts": "你還有 {drafts} 件草稿沒有送出，送出後才算上傳喔。",
    "schedule.standing.performance": (
        "本學期已登錄 {count}/{limit} 件（本學年 {year_count}/{year_limit} 件），截止 {deadline}。"
    ),
    "schedule.standing.certify": "目前有 {count} 件等您認證，截止 {deadline}。",
    "schedule.standing.pick": "你還沒有按「確認送出」，勾選截止 {deadline}。",
    "schedule.standing.receipt": "還有 {count} 筆收訖明細等你確認，截止 {deadline}。",
    "schedule.standing.homeroom": "{cls} 班還有 {count} 位同學本學期尚未上傳任何課程學習成果。",
    "schedule.button.open": "前往處理",
    "schedule.button.todo": "查看待辦",
    # The monthly LINE message budget (jobs/budget.py); sent to 註冊組 once a month.
    "schedule.budget.held": (
        "【註冊組】本月 LINE 訊息額度 {limit} 則，已用 {used} 則，排隊中 {queued} 則，"
        "另保留 {reserve} 則給緊急通知。已暫緩 {held} 則非緊急通知，額度足夠時或下個月 1 日"
        "會自動補發；退件與截止前提醒照常發送。"
    ),
    # Trainings and briefings (seed rule 六).
    "schedule.event.kind.student_training": "學生學習歷程訓練",
    "schedule.event.kind.teacher_workshop": "教師學習歷程研習",
    "schedule.event.kind.parent_briefing": "親師說明會",
    "schedule.event.card": "時間：{when}\n地點：{place}",
    "schedule.event.alt": "【{kind}】{title}：{when}，{place}。請回覆是否參加。",
    "schedule.event.ask": "請按下方按鈕回覆是否參加。",
    "schedule.event.yes": "參加",
    "schedule.event.no": "不克參加",
    "schedule.event.rsvp_yes": "已登記您參加「{title}」（{when}，{place}）。前一天會再提醒您。",
    "schedule.event.rsvp_no": "已登記您不克參加「{title}」，謝謝告知。若改變心意，再按一次「參加」即可。",
    "schedule.event.rsvp_closed": "「{title}」已經開始或取消了，無法再回覆。",
    "schedule.event.rsvp_not_invited": "這場活動不在您的邀請名單中。如有疑問，請洽教務處註冊組。",
    "schedule.event.reminder": "提醒：明天 {when} 在{place}舉行「{title}」，期待您的參與。",
    "schedule.event.counts": (
        "【{kind}】「{title}」（{when}）回覆統計：參加 {yes} 人、不克參加 {no} 人、"
        "未回覆 {unanswered} 人（共通知 {invited} 人）。"
    ),
    "schedule.event.missing": (
        "【{office}】{year} 學年度還沒有排定「{kind}」（補充規定第六點，每學年至少一次，"
        "應於 {deadline} 前排定）。請用 portfolio events create 建立，系統會通知對象並統計回覆。"
    ),
    "schedule.event.overdue": (
        "【{office}】{year} 學年度應於 {deadline} 前排定的「{kind}」至今仍未建立，請儘速安排"
        "（portfolio events create）。"
    ),
    "schedule.briefing.none": "目前沒有近期的說明會或研習。有新的活動時，我會通知您。",
    "schedule.briefing.answer_yes": "您已回覆：參加",
    "schedule.briefing.answer_no": "您已回覆：不克參加",
    "schedule.briefing.answer_none": "您還沒有回覆",
    # 公告 when the working group sets or changes a window (portfolio windows set).
    "schedule.window.changed": (
        "【公告】{window}期間調整為 {start} 至 {end}（原為 {old_start} 至 {old_end}）。"
        "請依新的期間完成。"
    ),
    # Staff menu: 待辦 (what the schedule holds next) and 公告 (what was announced).
    "schedule.todo.header": "接下來 {days} 天的工作期程：",
    "schedule.todo.item": "・{date} {what}",
    "schedule.todo.pending": "・目前有 {count} 件課程學習成果待認證。",
    "schedule.todo.none": "接下來 {days} 天沒有排定的工作。整學年期程請用 portfolio rules show 查看。",
    "schedule.notice.header": "最近的公告：",
    "schedule.notice.item": "・{date} {body}",
    "schedule.notice.none": "目前還沒有發出公告。用 portfolio windows set 設定期間時，會自動公告給相關的人。",
    # --- end section: schedule ---
    # --- section: picking (picks, export, receipts) ---
    # Picking (勾選): student cards, summary, confirmation. Dates read as 2027/7/28.
    "picking.not_open": (
        "{year} 學年度的勾選期間是 {start} 至 {end}，現在還沒開始喔。"
        "到時候再輸入「勾選」就可以了。"
    ),
    "picking.no_window": "{year} 學年度的勾選期間還沒公布，公布後會通知你。",
    "picking.empty": (
        "{year} 學年度還沒有可以勾選的項目。課程學習成果要先通過任課教師認證，"
        "多元表現要先送出，才能勾選。"
    ),
    "picking.header": (
        "{year} 學年度勾選（{end} 截止）\n{counts}\n"
        "第 {page}/{pages} 頁：按卡片上的「勾選」或「取消」。"
    ),
    "picking.counts": (
        "課程學習成果已勾選 {co_count}/{co_limit} 件，多元表現已勾選 {pf_count}/{pf_limit} 件。"
    ),
    "picking.no_limit": "不限",
    "picking.page_alt": "勾選：第 {page}/{pages} 頁",
    "picking.kind.course_outcome": "課程學習成果",
    "picking.kind.performance": "多元表現",
    "picking.type.cadre": "幹部經歷",
    "picking.type.competition": "競賽",
    "picking.type.certificate": "檢定證照",
    "picking.type.service": "服務學習",
    "picking.type.flexible": "彈性學習",
    "picking.type.group_activity": "團體活動",
    "picking.type.workplace": "職場學習",
    "picking.type.works": "作品成果",
    "picking.type.university_course": "大學先修",
    "picking.type.other": "其他多元表現",
    "picking.card.term": "{year}-{semester}",
    "picking.card.picked": "✓ 已勾選",
    "picking.card.not_picked": "可勾選",
    "picking.card.files": "附件：{files}",
    "picking.card.no_files": "沒有附件",
    "picking.file.document": "文件",
    "picking.file.av": "影音",
    "picking.why.course_outcome.pending": "待認證：任課教師認證通過後才能勾選。",
    "picking.why.course_outcome.draft": "還沒送出認證：送出並通過認證後才能勾選。",
    "picking.why.course_outcome.rejected": "已退回（{reason}）：重新上傳並通過認證後才能勾選。",
    "picking.why.performance.draft": "還沒送出：送出後才能勾選。",
    "picking.why.unavailable": "目前無法勾選。",
    "picking.why.picked_unavailable": "已勾選，但這件已不能提交，請取消勾選。",
    "picking.button.pick": "勾選",
    "picking.button.unpick": "取消",
    "picking.nav.prev": "上一頁",
    "picking.nav.next": "下一頁",
    "picking.nav.summary": "看摘要並送出",
    "picking.nav.cards": "回到卡片",
    "picking.nav.confirm": "確認送出",
    "picking.nav.edit": "繼續修改",
    "picking.nav.reopen": "重新開啟修改",
    "picking.result.picked": "已勾選「{title}」。\n{counts}",
    "picking.result.already_picked": "「{title}」已經勾選了。\n{counts}",
    "picking.result.unpicked": "已取消勾選「{title}」。\n{counts}",
    "picking.result.already_unpicked": "「{title}」目前沒有勾選。\n{counts}",
    "picking.result.limit": (
        "{kind}每學年至多勾選 {limit} 件，已經勾滿了。要換一件的話，先取消一件再勾選。"
    ),
    "picking.result.locked": "你已經確認送出了。要修改的話，請先按「重新開啟修改」。",
    "picking.result.window_before": "勾選期間是 {start} 至 {end}，現在還沒開始喔。",
    "picking.result.window_closed": (
        "勾選已於 {end} 截止，勾選結果已確定，無法再修改。如有特殊情況請洽教務處。"
    ),
    "picking.result.not_found": "找不到這個項目，可能已經撤回。請重新輸入「勾選」看看最新的清單。",
    "picking.result.not_pickable_pending": "「{title}」還在等任課教師認證，通過後才能勾選。",
    "picking.result.not_pickable_draft": (
        "「{title}」還沒送出，送出（課程學習成果需通過認證）後才能勾選。"
    ),
    "picking.result.not_pickable_rejected": (
        "「{title}」已被退回（{reason}），重新上傳並通過認證後才能勾選。"
    ),
    "picking.result.not_pickable_unavailable": "「{title}」目前無法勾選。",
    "picking.bad_button": "這個按鈕無法使用。請重新輸入「勾選」，從最新的卡片操作。",
    "picking.use_buttons": (
        "請按卡片上的按鈕，或下方的「上一頁／下一頁／看摘要並送出」。輸入「取消」可以離開。"
    ),
    "picking.other_button": (
        "你正在勾選中（勾選都已存好）。要做別的事，請先輸入「取消」，再按一次那個按鈕。"
    ),
    "picking.summary.head": "以下是 {year} 學年度要提交到中央資料庫的項目，請再檢查一次：",
    "picking.summary.section": "【{kind} {count}/{limit} 件】",
    "picking.summary.line": "{n}. {label}：{title}（{files}）",
    "picking.summary.none": "（沒有勾選）",
    "picking.summary.foot": "確認無誤請按「確認送出」。送出後在 {end} 前仍可重新開啟修改。",
    "picking.summary.foot_nothing": "你目前沒有勾選任何項目；確認送出表示今年不提交任何項目。",
    "picking.confirmed": (
        "已確認送出，共 {count} 件！勾選於 {end} 截止後，由學校提交到中央資料庫。"
        "截止前若要修改，輸入「勾選」再按「重新開啟修改」。"
    ),
    "picking.confirmed_dropped": (
        "另外有 {dropped} 件已經不能提交（例如認證被撤銷），已自動取消勾選。"
    ),
    "picking.already_confirmed": (
        "你已於 {at} 確認送出。截止（{end}）前如要修改，請按「重新開啟修改」。"
    ),
    "picking.reopened": "已重新開啟，可以修改勾選。改好後記得再按「確認送出」。",
    "picking.not_confirmed": "你還沒有確認送出，直接修改勾選即可。",
    "picking.final_head": "{year} 學年度勾選已於 {end} 截止，以下是提交的項目（已無法修改）：",
    "picking.final_unconfirmed": (
        "你沒有按「確認送出」；學校會依截止時的勾選提交。如有問題請洽教務處。"
    ),
    # Homeroom view (勾選進度).
    "picking.progress.no_class": "找不到您擔任導師的班級。如有錯誤請洽註冊組。",
    "picking.progress.head": (
        "{cls} 班 {year} 學年度勾選進度（{start}～{end}{phase}）\n已確認送出 {done}/{total} 人"
    ),
    "picking.progress.phase.before": "，尚未開始",
    "picking.progress.phase.open": "",
    "picking.progress.phase.closed": "，已截止",
    "picking.progress.waiting_head": "尚未確認送出（已勾選／可勾選）：",
    "picking.progress.line": "{seat} 號 {name}：課程 {co}/{co_ok}、多元 {pf}/{pf_ok}",
    "picking.progress.all_done": "全班都已確認送出，謝謝導師！",
    "picking.progress.no_window": "{year} 學年度的勾選期間還沒設定。",
    # Staff: what to export (chat) and the export command's output (CLI).
    "picking.export.chat": (
        "{year} 學年度勾選：{confirmed}/{total} 位學生已確認送出；已勾選課程學習成果 {co} 件、"
        "多元表現 {pf} 件。\n匯出請在後台執行：\n"
        "portfolio export course-outcomes --year {year}\nportfolio export diverse --year {year}"
    ),
    "picking.export.no_window": "規則檔沒有設定 {year} 學年度的勾選期間。",
    "picking.export.window_open": (
        "{year} 學年度勾選到 {end} 才截止，學生還可能修改。確定現在就要匯出，請加上 --force。"
    ),
    "picking.export.nothing": "{year} 學年度沒有已勾選的{kind}，沒有寫出檔案。",
    "picking.export.refused": (
        "無法匯出：{students} 位學生共 {count} 個問題要先處理，沒有寫出任何檔案。"
    ),
    "picking.export.student": "{class_seat} {name}（學號 {student_no}）",
    "picking.export.problem_line": "  - {problem}",
    "picking.export.slot.document": "文件",
    "picking.export.slot.av": "影音",
    "picking.export.allowed.document": "pdf、jpg、png",
    "picking.export.allowed.av": "mp3、mp4",
    "picking.export.problem.no_national_id": "缺少身分證號，請註冊組補登。",
    "picking.export.problem.no_birth_date": "缺少出生日期，請註冊組補登。",
    "picking.export.problem.missing_file": "{ref} 的{slot}檔案不在儲存區，請學生重新上傳。",
    "picking.export.problem.file_damaged": (
        "{ref} 的{slot}檔案內容與紀錄不符（可能損壞），請學生重新上傳。"
    ),
    "picking.export.problem.wrong_format": (
        "{ref} 的{slot}檔案是 {format} 格式，中央資料庫只收 {allowed}。"
    ),
    "picking.export.problem.too_large": "{ref} 的{slot}檔案有 {size} MB，超過 {limit} MB 上限。",
    "picking.export.problem.no_file": "{ref} 沒有任何檔案。",
    "picking.export.problem.summary_missing": "{ref} 沒有成果簡述。",
    "picking.export.problem.summary_too_long": "{ref} 的成果簡述有 {length} 字，超過 {limit} 字。",
    "picking.export.problem.unknown_record_type": (
        "{ref} 的紀錄類型「{type}」不是中央資料庫的類型。"
    ),
    "picking.export.problem.too_many_files": (
        "{ref} 有 {count} 個{slot}檔案，中央資料庫每筆只收一個。"
    ),
    "picking.export.done": (
        "已寫出 {path}\n{students} 位學生、{items} 筆、{files} 個檔案；SHA-256 {sha256}"
    ),
    "picking.export.unconfirmed_included": (
        "注意：以下 {count} 位學生有勾選但沒有按確認送出，已一併匯出："
    ),
    "picking.export.unconfirmed_skipped": (
        "注意：以下 {count} 位學生有勾選但沒有按確認送出，已略過（--only-confirmed）："
    ),
    "picking.export.unconfirmed_line": "  {class_seat} {name}（學號 {student_no}）",
    # Receipts (收訖明細): the staff import and report (CLI).
    "picking.receipt.file_error": "無法讀取這個檔案：",
    "picking.receipt.error_line": "第 {line} 列：{reason}",
    "picking.receipt.error.already_imported": "這個檔案已經匯入過了。",
    "picking.receipt.error.missing_columns": "缺少欄位：{columns}。",
    "picking.receipt.error.empty": "檔案裡沒有任何資料列。",
    "picking.receipt.error.mixed_years": "檔案裡有不同學年度的項目（{years}），請分開匯入。",
    "picking.receipt.error.who_mismatch": "身分證號與學號 {student_no} 不是同一位學生。",
    "picking.receipt.error.no_student": "找不到這位學生（學號 {student_no}）。",
    "picking.receipt.error.unknown_type": (
        "看不懂項目類型「{type}」，請填「課程學習成果」或「多元表現」。"
    ),
    "picking.receipt.error.bad_ref": (
        "看不懂項目編號「{ref}」，請填匯出時的校內編號（例如 C12、P7）。"
    ),
    "picking.receipt.error.kind_mismatch": "{ref} 與項目類型「{type}」不符。",
    "picking.receipt.error.item_not_found": "學號 {student_no} 沒有 {ref} 這個項目。",
    "picking.receipt.error.not_picked": "學號 {student_no} 的 {ref} 沒有勾選提交。",
    "picking.receipt.error.wrong_year": "{ref} 屬於 {year} 學年度，與 --year 不符。",
    "picking.receipt.error.duplicate": "{ref} 重複了（第 {first} 列已出現）。",
    "picking.receipt.refused": "共 {count} 個問題，沒有匯入任何資料。",
    "picking.receipt.dry_run": (
        "試算：可匯入 {items} 筆、{students} 位學生（{year} 學年度），學生確認期限 {until}。"
        "未寫入任何資料（--dry-run）。"
    ),
    "picking.receipt.imported": (
        "已匯入 {items} 筆、{students} 位學生（{year} 學年度），學生確認期限 {until}。"
        "已用 LINE 通知 {notified} 位學生。"
    ),
    "picking.receipt.no_line": "以下 {count} 位學生沒有綁定 LINE，請導師轉知：",
    "picking.receipt.student_line": "  {class_seat} {name}（學號 {student_no}）",
    "picking.receipt.report.none": "{year} 學年度還沒有匯入收訖明細。",
    "picking.receipt.report.head": (
        "{year} 學年度收訖明細：共 {items} 筆，已回覆 {answered} 筆；確認期限 {until}"
    ),
    "picking.receipt.report.wrong_head": "回報有誤（{count} 筆）：",
    "picking.receipt.report.wrong_line": "  {class_seat} {name}（學號 {student_no}）{ref}：{note}",
    "picking.receipt.report.no_note": "（未說明）",
    "picking.receipt.report.no_wrong": "沒有人回報有誤。",
    "picking.receipt.report.unanswered_head": "尚未回覆（{count} 人）：",
    "picking.receipt.report.unanswered_line": "  {class_seat} {name}（學號 {student_no}）：{refs}",
    "picking.receipt.report.all_answered": "所有學生都已回覆。",
    # Receipts: what the student reads.
    "picking.receipt.notice": (
        "中央資料庫已回傳 {year} 學年度的收訖明細。請在 {until} 前逐筆確認是否正確，"
        "有誤請按「有誤」並說明。"
    ),
    "picking.receipt.button.start": "確認收訖明細",
    "picking.receipt.nothing": "目前沒有需要確認的收訖明細。",
    "picking.receipt.closed": "收訖明細確認已於 {end} 截止。若發現資料有誤，請儘快洽教務處。",
    "picking.receipt.item": (
        "收訖明細 {n}/{total}（請於 {until} 前確認）\n{label}｜{title}\n{summary}{central}"
        "\n\n這筆資料正確嗎？"
    ),
    "picking.receipt.central": "\n中央資料庫：{description}",
    "picking.receipt.unknown_item": "（項目 {ref}）",
    "picking.receipt.button.ok": "正確",
    "picking.receipt.button.wrong": "有誤",
    "picking.receipt.button.redo": "重新確認",
    "picking.receipt.use_buttons": (
        "請按「正確」或「有誤」。輸入「取消」可以先離開，已回覆的都會保存。"
    ),
    "picking.receipt.ask_note": "請簡短說明哪裡有誤（例如：檔案不是我上傳的那份、名稱打錯）。",
    "picking.receipt.noted": "已記下，學校會協助更正。",
    "picking.receipt.done": "收訖明細 {total} 筆都回覆好了，謝謝！",
    "picking.receipt.done_wrong": "其中 {count} 筆回報有誤，學校會儘快處理並重新提交。",
    "picking.receipt.all_answered": (
        "你的收訖明細都已回覆（有誤 {wrong} 筆）。{until} 前如要修改，請按「重新確認」。"
    ),
    # --- end section: picking ---
    # --- section: records (consultations, cadres, grade 12, graduation) ---
    "records.trimmed": "…（預覽到此為止，全文共 {n} 字）",
    "records.page_prev": "上一頁",
    "records.page_next": "下一頁",
    # course consultations (課程諮詢紀錄)
    "records.consult.only_consultants": (
        "「諮詢紀錄」限課程諮詢教師使用。如果您擔任課程諮詢教師，"
        "請洽教務處註冊組在名冊加上「課程諮詢教師」角色。"
    ),
    "records.consult.no_classes": (
        "您還沒有負責諮詢的班級。請洽教務處註冊組設定您負責的班級或年級後再記錄。"
    ),
    "records.consult.help": (
        "正在新增課程諮詢紀錄：依提示選擇學生、日期時間、地點，輸入內容與建議即可。"
        "輸入「上一步」返回，輸入「取消」結束（不會儲存）。"
    ),
    "records.consult.menu": (
        "{name}老師您好！\n負責諮詢的班級：{classes}\n"
        "目前已有 {count} 筆諮詢紀錄。\n請選擇要做的事："
    ),
    "records.consult.button_new": "新增諮詢紀錄",
    "records.consult.button_list": "我的諮詢紀錄",
    "records.consult.button_courses": "學生選課",
    "records.consult.ask_kind": "新增課程諮詢紀錄：這次是團體諮詢，還是個別諮詢？",
    "records.consult.kind.group": "團體諮詢",
    "records.consult.kind.individual": "個別諮詢",
    "records.consult.pick_kind": "請點選「團體諮詢」或「個別諮詢」。",
    "records.consult.ask_class": (
        "是哪一班的學生？請點選班級，或輸入班級代碼（例如 {example}）。\n您負責諮詢的班級"
        "：{classes}"
    ),
    "records.consult.unknown_class": "找不到班級「{code}」，請點選班級或再輸入一次。",
    "records.consult.not_advised_class": (
        "您沒有負責 {code} 班的課程諮詢，不能為這班記錄。"
        "請選擇您負責的班級；需要調整請洽教務處註冊組。"
    ),
    "records.consult.ask_who": "{code} 班：是全班參加，還是挑選部分學生？",
    "records.consult.button_whole": "全班",
    "records.consult.button_pick": "挑選學生",
    "records.consult.pick_who": "請點選「全班」或「挑選學生」。",
    "records.consult.roster_line": "{seat} {name}",
    "records.consult.ask_students_group": (
        "{code} 班學生：\n{roster}\n\n請輸入參加學生的座號，多位請用空白或逗號分開，"
        "也可以寫範圍（例如：1 3 5-8）。其他您負責班級的學生請輸入學號。"
    ),
    "records.consult.ask_students_individual": (
        "{code} 班學生：\n{roster}\n\n請輸入這位學生的座號（或學號）。"
    ),
    "records.consult.no_students_in_class": "{code} 班目前沒有在學學生。",
    "records.consult.no_students_named": "沒有讀到任何座號或學號，請再輸入一次（例如：1 3 5）。",
    "records.consult.unknown_students": "找不到：{tokens}。請對照名單再輸入一次。",
    "records.consult.not_advised_student": (
        "{name}（學號 {no}）不在您負責諮詢的班級，不能為他記錄。請重新輸入。"
    ),
    "records.consult.one_student": "個別諮詢只記錄一位學生，請只輸入一個座號或學號。",
    "records.consult.ask_date": (
        "諮詢是哪一天？請點「選擇日期」，或直接輸入日期（例如 {example}）。"
    ),
    "records.consult.button_date": "選擇日期",
    "records.consult.bad_date": "看不懂這個日期。請點「選擇日期」，或輸入像 {example} 的日期。",
    "records.consult.date_range": "諮詢日期要在這一年內，而且不能是還沒到的日子，請再選一次。",
    "records.consult.ask_start": "幾點開始？請點「選擇時間」，或直接輸入（例如 13:10）。",
    "records.consult.ask_end": "幾點結束？（開始時間 {start}）請點「選擇時間」，或直接輸入。",
    "records.consult.button_time": "選擇時間",
    "records.consult.bad_time": "看不懂這個時間。請點「選擇時間」，或輸入像 13:10 的時間。",
    "records.consult.end_before_start": "結束時間要晚於開始時間 {start}，請再選一次。",
    "records.consult.current": "（目前：{value}）",
    "records.consult.ask_place": "諮詢地點在哪裡？例如：輔導室、101 教室（{limit} 字以內）。",
    "records.consult.place_too_long": "地點最多 {limit} 字，這次是 {n} 字，請精簡後再傳一次。",
    "records.consult.ask_content": "請輸入諮詢內容與建議（{limit} 字以內）。",
    "records.consult.content_too_long": (
        "諮詢內容與建議最多 {limit} 字，這次是 {n} 字，請精簡後再傳一次。"
    ),
    "records.consult.type_it": "這一步請用文字輸入喔。",
    "records.consult.ask_files": (
        "要附上簡報或照片嗎？（選填，最多 {limit} 個；簡報請先另存成 PDF）\n目前附件：{files}\n"
        "直接傳送檔案或照片即可；沒有附件或傳完了，請點「完成」。"
    ),
    "records.consult.button_done": "完成",
    "records.consult.button_clear_files": "清除附件",
    "records.consult.file_kept": (
        "已收到附件「{name}」（共 {n} 個）。還有的話可以繼續傳，傳完請點「完成」。"
    ),
    "records.consult.file_kind": "附件請傳 PDF 或照片（jpg、png）；簡報請先另存成 PDF 再傳。",
    "records.consult.file_default_name": "附件 {n}",
    "records.consult.photo_default_name": "照片 {n}",
    "records.consult.file_unnamed": "附件",
    "records.consult.too_many_files": "附件最多 {limit} 個，這個檔案沒有加入。請點「完成」繼續。",
    "records.consult.files_cleared": "附件已清除。",
    "records.consult.files_none": "無",
    "records.consult.files_hint": "請傳送檔案或照片，或點「完成」繼續。",
    "records.consult.files_count": "附件 {n} 個",
    "records.consult.card_title": "確認諮詢紀錄",
    "records.consult.card_title_edit": "修改諮詢紀錄",
    "records.consult.card_alt": "諮詢紀錄：{date} {students}",
    "records.consult.card_kind": "類型",
    "records.consult.card_students": "學生",
    "records.consult.card_date": "日期",
    "records.consult.card_time": "時間",
    "records.consult.card_place": "地點",
    "records.consult.card_content": "內容與建議",
    "records.consult.card_files": "附件",
    "records.consult.time_range": "{start}–{end}",
    "records.consult.students_whole": "{code} 班全班（{n} 人）",
    "records.consult.students_some": "{names}（{n} 人）",
    "records.consult.students_more": "{names} 等 {n} 人",
    "records.consult.place_line": "地點：{place}",
    "records.consult.button_save": "儲存",
    "records.consult.button_edit_students": "改學生",
    "records.consult.button_edit_when": "改日期時間",
    "records.consult.button_edit_place": "改地點",
    "records.consult.button_edit_content": "改內容與建議",
    "records.consult.button_edit_files": "改附件",
    "records.consult.confirm_hint": "請點「儲存」，或點要修改的項目。",
    "records.consult.saved": (
        "已儲存諮詢紀錄：{date} {time}，{students}。\n需要更正時，點「我的諮詢紀錄」再按「"
        "修改」。"
    ),
    "records.consult.corrected": "已更新諮詢紀錄（{date} {time}，{students}）。",
    "records.consult.cancelled": "已取消，這筆諮詢紀錄沒有儲存。",
    "records.consult.edit_cancelled": "已取消修改，諮詢紀錄維持原樣。",
    "records.consult.not_found": (
        "找不到這筆諮詢紀錄，可能不是您記錄的。請從「我的諮詢紀錄」重新選擇。"
    ),
    "records.consult.error.not_advised": (
        "{name}（學號 {no}）不在您負責諮詢的班級，這筆紀錄沒有儲存。需要調整請洽教務處註冊組。"
    ),
    "records.consult.error.not_advised_class": (
        "您已不負責這個班級的課程諮詢，這筆紀錄沒有儲存。需要調整請洽教務處註冊組。"
    ),
    "records.consult.error.end_before_start": "結束時間要晚於開始時間，請重新選擇時間。",
    "records.consult.error.place": "地點未填或太長，請重新輸入。",
    "records.consult.error.content": "內容與建議未填或超過 150 字，請重新輸入。",
    "records.consult.error.no_students": "還沒有選學生，請重新選擇。",
    "records.consult.error.individual_one": "個別諮詢只記錄一位學生，請重新選擇。",
    "records.consult.error.too_many_files": "附件最多 {limit} 個，請清除後重新附上。",
    "records.consult.error.not_found": "找不到這筆諮詢紀錄，可能不是您記錄的。",
    "records.consult.error.other": "這筆紀錄無法儲存，請從「新增諮詢紀錄」重新開始。",
    "records.consult.list_empty": "您還沒有任何諮詢紀錄。點「新增諮詢紀錄」開始記錄。",
    "records.consult.list_head": (
        "您的諮詢紀錄共 {total} 筆（第 {page}/{pages} 頁），新的在前。需要更正請點「修改」"
        "。"
    ),
    "records.consult.list_alt": "我的諮詢紀錄（共 {n} 筆）",
    "records.consult.button_edit": "修改",
    "records.consult.student_empty": (
        "目前還沒有你的課程諮詢紀錄。參加課程諮詢後，老師記錄了就會出現在這裡。"
    ),
    "records.consult.student_head": (
        "你的課程諮詢紀錄共 {total} 筆（第 {page}/{pages} 頁），新的在前："
    ),
    "records.consult.student_item": (
        "【{date} {time}】{kind}・{teacher}老師\n地點：{place}\n{content}{files}"
    ),
    "records.consult.student_files": "\n附件 {n} 個（連結 24 小時內有效）：\n{links}",
    "records.consult.button_file": "開啟附件 {n}",
    # course choices of the students a consultant advises
    "records.courses.pick_class": "要看哪一班學生的選課情形？",
    "records.courses.head": "{code} 班 {year} 學年度修課情形（{n} 位學生）",
    "records.courses.term": "【{year} 學年度第 {semester} 學期】",
    "records.courses.common": "全班共同：{subjects}",
    "records.courses.none": "無",
    "records.courses.all_same": "全班修課相同，沒有個別選修。",
    "records.courses.others_head": "個別選修：",
    "records.courses.other_line": "{seat} {name}：{subjects}",
    "records.courses.empty": (
        "{code} 班 {year} 學年度還沒有修課資料，請洽教學組確認課程是否已匯入。"
    ),
    # grade-12 documents (自傳, 學習計畫)
    "records.g12.document.autobiography": "自傳",
    "records.g12.document.study_plan": "學習計畫",
    "records.g12.section.autobiography": "自傳",
    "records.g12.section.career_plan": "生涯規劃",
    "records.g12.section.expectations": "自我期許",
    "records.g12.section.strengths": "專長",
    "records.g12.section.interests": "興趣",
    "records.g12.not_grade12": "自傳與學習計畫是高三的功課，升上高三後就能在這裡撰寫喔。",
    "records.g12.help": (
        "直接傳送文字就會存進草稿，可以分好幾則傳，會依序接在後面。點「完成」看預覽；"
        "輸入「上一步」返回，輸入「取消」離開（已寫的內容都會保留）。"
    ),
    "records.g12.overview": "自傳與學習計畫（草稿）\n{lines}{comments}\n\n要寫哪一部分？",
    "records.g12.overview_line": "・{section}：{state}",
    "records.g12.overview_count": "{n} 字",
    "records.g12.overview_empty": "尚未撰寫",
    "records.g12.overview_comments": "\n老師的意見：{n} 則（點「看意見」）",
    "records.g12.pick_section": "請點選要撰寫的部分。",
    "records.g12.count": "目前 {n} 字，上限 {limit} 字",
    "records.g12.count_empty": "還沒有內容，上限 {limit} 字",
    "records.g12.ask.autobiography": (
        "【{label}】{count}。\n請直接傳送文字，可以分成好幾則訊息，會依序接在後面。"
        "寫完請點「完成」看預覽。"
    ),
    "records.g12.ask.career_plan": (
        "【學習計畫－{label}】{count}。\n想讀的科系、未來想做的工作，以及為此打算怎麼準備？"
        "可分好幾則傳送，寫完請點「完成」。"
    ),
    "records.g12.ask.expectations": (
        "【學習計畫－{label}】{count}。\n你對自己高中畢業後、大學階段的期許是什麼？"
        "可分好幾則傳送，寫完請點「完成」。"
    ),
    "records.g12.ask.strengths": (
        "【學習計畫－{label}】{count}。\n你的專長、擅長的事，以及能證明的經驗？"
        "可分好幾則傳送，寫完請點「完成」。"
    ),
    "records.g12.ask.interests": (
        "【學習計畫－{label}】{count}。\n你的興趣，以及它如何影響你的選擇？"
        "可分好幾則傳送，寫完請點「完成」。"
    ),
    "records.g12.added": (
        "已加入「{label}」，共 {n} 字（上限 {limit} 字）。可以繼續傳，寫完請點「完成」。"
    ),
    "records.g12.type_it": "這裡請傳文字喔。寫完請點「完成」。",
    "records.g12.error.too_long": (
        "這則沒有加入：加上它會超過上限 {limit} 字（目前 {now} 字，這則 {adding} 字）。"
        "請精簡後再傳，或點「完成」看預覽。"
    ),
    "records.g12.error.empty": "這則是空白的，請傳文字內容。",
    "records.g12.error.comment_too_long": "意見最多 {limit} 字，這次是 {n} 字，請精簡後再傳一次。",
    "records.g12.error.not_reviewer": "您不是這位學生的導師或輔導老師，無法留言。",
    "records.g12.button_done": "完成",
    "records.g12.button_more": "繼續補充",
    "records.g12.button_erase": "清除重寫",
    "records.g12.button_erase_sure": "清除",
    "records.g12.button_keep": "保留",
    "records.g12.button_sections": "其他部分",
    "records.g12.button_finish": "結束",
    "records.g12.button_comments": "看意見",
    "records.g12.erase_question": "確定要清除「{label}」的全部內容重新寫嗎？清除後無法復原。",
    "records.g12.erased": "「{label}」已清除，可以重新撰寫。",
    "records.g12.preview_head": "「{label}」預覽（共 {n} 字）：",
    "records.g12.preview_empty": "「{label}」還沒有內容。點「繼續補充」開始撰寫。",
    "records.g12.preview_hint": "要繼續寫請點「繼續補充」，寫其他部分請點「其他部分」。",
    "records.g12.kept": "已儲存你寫的內容。想繼續時輸入「自傳」或「學習計畫」就可以。",
    "records.g12.no_comments": "目前還沒有老師的意見。",
    "records.g12.comment_line": "{teacher}老師對{document}的意見（{date}）：\n{body}",
    "records.g12.news": "老師給你新的意見：\n{comments}\n\n輸入「自傳」或「學習計畫」就能修改。",
    "records.g12.no_classes_to_review": (
        "自傳與學習計畫由高三導師與輔導室檢核；目前沒有您可以檢視的高三班級。"
    ),
    "records.g12.review_help": (
        "正在檢視學生的自傳與學習計畫：輸入座號看一位學生，點「留言」寫意見。"
        "輸入「上一步」返回，輸入「取消」結束。"
    ),
    "records.g12.ask_class": "要看哪一班？請點選或輸入班級代碼。\n可檢視的班級：{classes}",
    "records.g12.unknown_class": "找不到這個班級，或不是您可以檢視的班級，請再選一次。",
    "records.g12.student_line": (
        "{seat} {name}：自傳 {auto} 字｜學習計畫 {plan}/{total} 部分｜意見 {comments} 則"
    ),
    "records.g12.no_students": "（這班目前沒有在學學生）",
    "records.g12.ask_student": (
        "{code} 班自傳與學習計畫進度：\n{listing}\n\n請輸入要檢視的學生座號（或學號）。"
    ),
    "records.g12.unknown_student": "找不到這位學生，請對照名單輸入座號或學號。",
    "records.g12.not_your_student": "{name} 不在您可以檢視的班級，請輸入其他學生。",
    "records.g12.review_head": (
        "{name}（{where}）的{document}，共 {n} 字，最後修改 {date}；已有意見 {comments} 則"
        "。"
    ),
    "records.g12.review_empty": "{name} 還沒有寫{document}。",
    "records.g12.button_comment": "留言",
    "records.g12.button_view": "看{document}",
    "records.g12.button_other_student": "其他學生",
    "records.g12.review_hint": "請點「留言」寫意見，或點「其他學生」。",
    "records.g12.review_done": "好的，需要時再輸入「自傳」或「學習計畫」。",
    "records.g12.ask_comment": (
        "請輸入給 {name} 的{document}意見（{limit} 字以內）。學生下次使用小幫手時就會看到"
        "。"
    ),
    "records.g12.comment_saved": (
        "已留言給 {name}（{document}）。學生下次使用小幫手時就會看到。\n可以再輸入其他學生"
        "的座號。"
    ),
    # staff commands (portfolio consultants / export consultations)
    "records.cli.class_or_grade": "請指定 --class 班級代碼，或 --grade 年級（擇一）。",
    "records.cli.unknown_class": "找不到班級 {code}。",
    "records.cli.bad_grade": "年級必須是 1 到 3（或 10 到 12），收到 {grade}。",
    "records.cli.unknown_staff": "找不到教職員編號 {no}。",
    "records.cli.not_consultant": (
        "{name}（{no}）不是課程諮詢教師：請先在教職員名冊加上「課程諮詢教師」角色再指派。"
    ),
    "records.cli.class_label": "{code} 班",
    "records.cli.grade_label": "{grade} 年級全部班級",
    "records.cli.already": "{name}（{no}）已經負責 {what}，沒有變更。",
    "records.cli.would_assign": "試算（--dry-run，未寫入）：將指派 {name}（{no}）負責 {what}。",
    "records.cli.assigned": "已指派 {name}（{no}）負責 {what} 的課程諮詢。",
    "records.cli.would_unassign": (
        "試算（--dry-run，未寫入）：將取消 {name}（{no}）負責 {what}（{n} 筆）。"
    ),
    "records.cli.unassigned": (
        "已取消 {name}（{no}）負責 {what}（{n} 筆）；先前的諮詢紀錄都會保留。"
    ),
    "records.cli.none_assigned": "還沒有指派任何課程諮詢教師。",
    "records.cli.classes": "目前負責：{classes}",
    "records.cli.export_empty": (
        "{year} 學年度沒有任何課程諮詢紀錄；已寫出只有標題列的檔案 {path}。"
    ),
    "records.cli.exported": "已匯出 {year} 學年度課程諮詢紀錄 {n} 筆（學生明細 {rows} 列）：{path}",
    # --- end section: records ---
    # --- section: lifecycle (transfers, sealing, backups, management proxies) ---
    # Farewells: pushed when a binding ends (transfer out, sealing at graduation).
    "lifecycle.farewell.transfer_out": (
        "{name} 同學，你的轉出手續已完成，這個帳號的學習歷程小幫手服務到此結束。\n"
        "你在本校上傳的成果與認證結果都完整保存，註冊組會整理給新學校；"
        "需要一份副本，請洽教務處註冊組。\n祝你在新學校一切順利！"
    ),
    "lifecycle.farewell.graduate": (
        "{name} 同學，恭喜畢業！\n"
        "依學校規定，你的學習歷程檔案今天起封存 {years} 年（到 {until}），"
        "封存期間只有學校行政人員能查閱，期滿後刪除。需要資料請在期滿前洽教務處註冊組。\n"
        "這個帳號的服務到此結束，謝謝你的使用，祝福你！"
    ),
    "lifecycle.farewell.guardian": (
        "{name} 已畢業，學習歷程檔案依學校規定封存，您在小幫手查看孩子進度的服務到此結束。\n"
        "謝謝您這幾年的支持！如有需要，請洽教務處註冊組。"
    ),
    # Notices to the platform-management contact (rule 七: 註冊組長 → 教學組長 → 資媒組長).
    "lifecycle.notice.as_proxy": "（{role} {name} 目前不在，由您代理收到這則通知。）",
    "lifecycle.notice.daily": (
        "學習歷程檔案每日作業（{date}）：\n・封存畢業生 {sealed} 位（已結束其 LINE 綁定）\n"
        "・保存期滿刪除 {deleted} 位\n・未完成 {failed} 位（明天會再試）\n"
        "細節請在伺服器執行 portfolio retention run --dry-run 或查看刪除報告。"
    ),
    "lifecycle.notice.backup_failed": (
        "今晚的自動備份沒有完成：{error}\n"
        "請資訊人員檢查伺服器後執行 portfolio backup create；明晚會再自動備份。"
    ),
    "lifecycle.notice.backup_missing": (
        "今晚的備份已完成，但有 {count} 個檔案在資料庫有紀錄、儲存區卻找不到。"
        "請資訊人員在伺服器執行 portfolio backup create 查看清單。"
    ),
    # Standing changes, as the export and staff read them.
    "lifecycle.change.transfer_in": "轉入",
    "lifecycle.change.transfer_out": "轉出",
    "lifecycle.change.repeat": "重讀",
    "lifecycle.change.reenrol": "復學",
    "lifecycle.change.renumber": "改學號",
    "lifecycle.change.graduate": "畢業",
    "lifecycle.change.graduate_cancelled": "取消畢業",
    "lifecycle.change.seal": "封存",
    # Staff command errors (one line each: what is wrong, what to do).
    "lifecycle.error.no_student": "找不到學號 {no}，請確認學號。",
    "lifecycle.error.no_class": "找不到班級 {code}，請先匯入班級（portfolio import classes）。",
    "lifecycle.error.sealed": "學號 {no} 已畢業封存，不能再異動學籍。",
    "lifecycle.error.seat_taken": "{code} 班 {seat} 號已有學生（學號 {no}），請換一個座號。",
    "lifecycle.error.bad_student_no": "學號「{no}」格式不對：只能是 1 到 20 個英文字母或數字。",
    "lifecycle.error.name_needed": "學號 {no} 是新學生，請加上 --name 姓名。",
    "lifecycle.error.national_id_needed": (
        "學號 {no} 是新學生，"
        "請加上 --national-id 身分證號（送中央資料庫需要）。"
    ),
    "lifecycle.error.national_id_format": "身分證號的格式或檢查碼不對，請再核對一次。",
    "lifecycle.error.national_id_taken": (
        "這個身分證號已屬於學號 {no}；若是同一位學生回到本校，"
        "請用 --id {no} 辦理。"
    ),
    "lifecycle.error.already_enrolled": "學號 {no} 目前在學，不需要辦理轉入或復學。",
    "lifecycle.error.not_enrolled": "學號 {no} 目前是「{status}」，不是在學學生。",
    "lifecycle.error.repeat_higher_grade": (
        "重讀的年級（{grade}）"
        "不能高於原本的年級（{old}），請確認班級。"
    ),
    "lifecycle.error.same_student_no": "新學號 {no} 和原學號相同，不需要更改。",
    "lifecycle.error.student_no_taken": "學號 {no} 已有其他學生使用，請換一個。",
    "lifecycle.error.graduated": (
        "學號 {no} 已標記畢業，不能復學；如是誤標，"
        "請先 graduate --cancel --id {no}。"
    ),
    "lifecycle.error.not_graduating": "學號 {no} 沒有畢業標記，不需要取消。",
    "lifecycle.error.not_sealed": "學號 {no} 尚未封存，不能刪除。",
    # Staff command output.
    "lifecycle.cli.dry_run": "（試算：沒有寫入任何資料，也沒有發出訊息）",
    "lifecycle.cli.transfer_in_done": (
        "{no} {name} 轉入 {cls} 班 {seat} 號（{grade} 年級），生效日 {day}；"
        "加選班級課程 {enrolled} 門，既有成果 {items} 件保留。"
    ),
    "lifecycle.cli.bind_hint": "請為他發綁定碼：portfolio codes issue --role student --person {no}",
    "lifecycle.cli.transfer_out_done": (
        "{no} {name} 自 {cls} 班轉出，生效日 {day}；既有成果 {items} 件與認證維持不變，"
        "退選尚無成果的課程 {unenrolled} 門；LINE 綁定已結束（{farewells} 個帳號收到道別訊息）。"
    ),
    "lifecycle.cli.export_hint": "轉學資料：portfolio export student --id {no}",
    "lifecycle.cli.repeat_done": (
        "{no} {name} 重讀：{from_cls} 班 → {cls} 班 {seat} 號（{grade} 年級），生效日 {day}；"
        "加選 {enrolled} 門；先前的成果 {items} 件、認證與各學年件數都不變。"
    ),
    "lifecycle.cli.reenrol_done": (
        "{no} {name} 復學：{cls} 班 {seat} 號（{grade} 年級），生效日 {day}；"
        "加選 {enrolled} 門；先前的成果 {items} 件都保留。"
    ),
    "lifecycle.cli.renumber_done": (
        "學號 {old} 已改為 {new}（{name}）"
        "；成果、認證、綁定與歷程都跟著同一位學生。"
    ),
    "lifecycle.cli.graduate_none": "沒有符合條件、尚未標記畢業的在學學生。",
    "lifecycle.cli.graduate_list": "將標記 {count} 位畢業（畢業日 {day}）：",
    "lifecycle.cli.student_line": "  {class_seat} {no} {name}",
    "lifecycle.cli.more": "  …另 {count} 位",
    "lifecycle.cli.graduate_pending": (
        "注意：其中 {count} 位還有待認證的成果，"
        "封存時會撤回（畢業後無法再認證）。"
    ),
    "lifecycle.cli.graduate_done": "已標記 {count} 位畢業，畢業日 {day}。",
    "lifecycle.cli.graduate_seal_today": (
        "今天的每日作業會封存他們的學習歷程，"
        "並結束學生與家長的 LINE 綁定。"
    ),
    "lifecycle.cli.graduate_seal_later": (
        "{day} 當天的每日作業會封存他們的學習歷程，"
        "並結束學生與家長的 LINE 綁定。"
    ),
    "lifecycle.cli.graduate_cancelled": "已取消 {no} {name} 的畢業標記，恢復為在學。",
    "lifecycle.cli.export_done": (
        "已寫出 {path}\n共 {items} 件項目、{files} 個檔案；"
        "zip 的 sha256：{sha256}"
    ),
    "lifecycle.cli.export_missing": "注意：{count} 個檔案在儲存區找不到，未放入 zip：{names}",
    "lifecycle.cli.sealed_list": "已封存 {count} 位畢業生：",
    "lifecycle.cli.sealed_line": (
        "  {no} {name}（撤回待認證 {withdrawn} 件，"
        "道別訊息 {farewells} 則）"
    ),
    "lifecycle.cli.deleted_list": "已刪除保存期滿的 {count} 位：",
    "lifecycle.cli.would_seal": "會封存 {count} 位畢業生：",
    "lifecycle.cli.would_seal_line": "  {no} {name}（畢業日 {day}）",
    "lifecycle.cli.would_delete": "會刪除保存期滿的 {count} 位：",
    "lifecycle.cli.deleted_line": (
        "  {no}（畢業 {graduated}，期滿 {end}）"
        "：{rows}；檔案 {files} 個（{size}）"
    ),
    "lifecycle.cli.nothing_due": "今天沒有要封存或刪除的學生。",
    "lifecycle.cli.kept_until": "另有 {count} 位封存中，最早於 {day} 保存期滿。",
    "lifecycle.cli.failed_line": "學生 #{id} 沒有處理完成（詳見伺服器紀錄），下次執行會再試。",
    "lifecycle.cli.report": "刪除報告：{path}",
    "lifecycle.cli.management_none": (
        "名冊中沒有註冊組長、教學組長或資媒組長，"
        "請在教職員名冊的職務加上。"
    ),
    "lifecycle.cli.management_header": "平台管理代理順序（規定七），{day}：",
    "lifecycle.cli.management_line": "  {n}. {role} {name}（{state}）",
    "lifecycle.cli.management_here": "在",
    "lifecycle.cli.management_away_until": "請假至 {day}",
    "lifecycle.cli.management_away": "不在（未定歸期或已離職）",
    "lifecycle.cli.management_contact": "今天的管理通知由 {name} 接收。",
    "lifecycle.cli.backup_no_dir": "請用 --out 指定備份資料夾，或設定環境變數 BACKUP_DIR。",
    "lifecycle.cli.backup_done": (
        "備份完成：{path}\n資料表 {tables} 個、共 {rows} 筆；檔案 {files} 個（{size}，"
        "其中 {linked} 個與先前的備份共用）。"
    ),
    "lifecycle.cli.backup_missing": (
        "注意：{count} 個檔案資料庫有紀錄、儲存區卻沒有（無從備份）"
        "：{names}…"
    ),
    "lifecycle.cli.verify_ok": "備份完好：{path}（建立於 {created}，檢查 {checked} 個檔案）",
    "lifecycle.cli.verify_failed": "備份 {path} 有 {count} 個問題：",
    "lifecycle.cli.restore_done": (
        "已還原：資料表 {tables} 個、共 {rows} 筆；檔案 {files} 個。"
        "接著請執行 portfolio db upgrade，把資料庫升到目前的版本。"
    ),
    "lifecycle.cli.restore_mismatch": "資料表 {table} 應有 {expected} 筆，還原後有 {found} 筆。",
    # The student export (portfolio export student): sheet names and column headers.
    "lifecycle.export.sheet.student": "基本資料",
    "lifecycle.export.sheet.class_history": "班級歷程",
    "lifecycle.export.sheet.changes": "學籍異動",
    "lifecycle.export.sheet.course_outcomes": "課程學習成果",
    "lifecycle.export.sheet.performances": "多元表現",
    "lifecycle.export.sheet.table.consultation_students": "課程諮詢紀錄",
    "lifecycle.export.sheet.table.attendance_records": "缺曠紀錄",
    "lifecycle.export.sheet.table.student_documents": "自傳與學習計畫",
    "lifecycle.export.sheet.table.document_comments": "自傳與學習計畫評語",
    "lifecycle.export.sheet.table.pick_confirmations": "勾選確認",
    "lifecycle.export.sheet.table.receipt_items": "收訖明細",
    "lifecycle.export.col.student_no": "學號",
    "lifecycle.export.col.name": "姓名",
    "lifecycle.export.col.national_id": "身分證號",
    "lifecycle.export.col.birth_date": "出生日期",
    "lifecycle.export.col.grade": "年級",
    "lifecycle.export.col.class": "班級",
    "lifecycle.export.col.seat_no": "座號",
    "lifecycle.export.col.entry_year": "入學學年度",
    "lifecycle.export.col.status": "學籍狀態",
    "lifecycle.export.col.graduated_on": "畢業日",
    "lifecycle.export.col.sealed_at": "封存時間",
    "lifecycle.export.col.since": "起始時間",
    "lifecycle.export.col.note": "備註",
    "lifecycle.export.col.label": "異動",
    "lifecycle.export.col.effective_on": "生效日",
    "lifecycle.export.col.from_status": "原學籍狀態",
    "lifecycle.export.col.to_status": "新學籍狀態",
    "lifecycle.export.col.from_class": "原班級",
    "lifecycle.export.col.to_class": "新班級",
    "lifecycle.export.col.old_student_no": "原學號",
    "lifecycle.export.col.new_student_no": "新學號",
    "lifecycle.export.col.recorded_at": "登錄時間",
    "lifecycle.export.col.ref": "校內編號",
    "lifecycle.export.col.academic_year": "學年度",
    "lifecycle.export.col.semester": "學期",
    "lifecycle.export.col.course_code": "課程代碼",
    "lifecycle.export.col.subject": "科目名稱",
    "lifecycle.export.col.teacher": "授課教師",
    "lifecycle.export.col.summary": "簡述",
    "lifecycle.export.col.status_label": "狀態",
    "lifecycle.export.col.decided_by": "認證者",
    "lifecycle.export.col.decided_capacity": "認證身分",
    "lifecycle.export.col.decided_at": "認證時間",
    "lifecycle.export.col.reject_reason": "退回原因",
    "lifecycle.export.col.replaces": "取代的項目",
    "lifecycle.export.col.picked": "已勾選",
    "lifecycle.export.col.submitted_at": "送出時間",
    "lifecycle.export.col.document": "成果檔案",
    "lifecycle.export.col.video": "影音檔案",
    "lifecycle.export.col.record_type_label": "類型",
    "lifecycle.export.col.fields": "內容",
    "lifecycle.export.col.entered_by_staff": "學校登錄",
    "lifecycle.export.col.proofs": "證明文件",
    # --- end section: lifecycle ---
    # --- section: staff-storage (roster, rules, export, receipts, lifecycle, schedule) ---
    "roster.kind.students": "學生名冊",
    "roster.kind.staff": "教職員名冊",
    "roster.kind.classes": "班級",
    "roster.kind.courses": "課程",
    "roster.kind.enrolments": "修課名單",
    "roster.kind.guardians": "家長名冊",
    "roster.file.not_found": "找不到檔案：{name}",
    "roster.file.unsupported": "不支援的檔案格式 {suffix}，請另存為 .xlsx 或 CSV 檔",
    "roster.file.bad_xlsx": "無法開啟這個 Excel 檔，檔案可能已損毀或設有密碼",
    "roster.file.encoding": "無法辨識檔案的文字編碼，請另存為 UTF-8 或 Big5 的 CSV 檔",
    "roster.file.private_chars": (
        "含有無法辨識的字（可能是 Big5 造字），請改用正式字或另存為 UTF-8 的 CSV 檔"
    ),
    "roster.file.empty": "檔案沒有任何資料",
    "roster.file.no_rows": "檔案只有標題列，沒有任何資料",
    "roster.file.missing_columns": "缺少必要欄位：{columns}（檔案的欄位：{found}）",
    "roster.file.duplicate_column": "欄位「{column}」出現兩次",
    "roster.row.line": "第 {row} 列：{reasons}",
    "roster.row.required": "{label}未填",
    "roster.row.too_long": "{label}過長（最多 {limit} 字）",
    "roster.row.unknown_class": "未知的班級 {code}",
    "roster.row.unknown_staff": "未知的教師編號 {no}",
    "roster.row.unknown_student": "未知的學號 {no}",
    "roster.row.unknown_role": "未知的角色 {role}",
    "roster.row.convener_needs_subject": "科召集人需填科別",
    "roster.row.grade_range": "年級必須是 1 到 3",
    "roster.row.grade_mismatch": "年級 {grade} 與班級 {code}（{class_grade} 年級）不符",
    "roster.row.seat_number": "座號必須是數字",
    "roster.row.entry_year": "入學學年度必須是民國年（例如 113）",
    "roster.row.academic_year": "學年度必須是民國年（例如 115）",
    "roster.row.semester": "學期必須是 1 或 2",
    "roster.row.date": "{label}無法辨識：{value}",
    "roster.row.national_id_format": "身分證號格式錯誤",
    "roster.row.national_id_taken": "身分證號已屬於另一位學生（學號 {no}）",
    "roster.row.duplicate_national_id": "身分證號重複（與第 {first} 列相同）",
    "roster.row.duplicate_student_no": "學號 {no} 重複（與第 {first} 列相同）",
    "roster.row.duplicate_seat": "班級 {code} 座號 {seat} 重複（與第 {first} 列相同）",
    "roster.row.duplicate_staff_no": "教職員編號 {no} 重複（與第 {first} 列相同）",
    "roster.row.duplicate_class": "班級 {code} 重複（與第 {first} 列相同）",
    "roster.row.homeroom_twice": "教師編號 {no} 已是第 {first} 列班級的導師",
    "roster.row.duplicate_course": "課程代碼 {code}（{where}）重複（與第 {first} 列相同）",
    "roster.row.unknown_term": "尚未匯入 {year} 學年度第 {semester} 學期的課程",
    "roster.row.unknown_course": "未知的課程代碼 {code}（{year} 學年度第 {semester} 學期）",
    "roster.row.ambiguous_course": "課程代碼 {code} 有多個班級開課，無法判斷學號 {no} 該修哪一班",
    "roster.row.duplicate_enrolment": "學號 {no} 的課程 {code} 重複（與第 {first} 列相同）",
    "roster.row.duplicate_guardian": "學號 {no} 的家長 {name} 重複（與第 {first} 列相同）",
    "roster.row.phone": "手機號碼格式錯誤（應為 09 開頭的 10 碼）",
    "roster.row.phone_conflict": "同一位家長在第 {first} 列填了不同的手機",
    "roster.row.roles_empty": "角色未填",
    "roster.summary.dry_run": "{kind}：試算結果（--dry-run，未寫入任何資料）",
    "roster.summary.done": "{kind}：匯入完成",
    "roster.summary.counts": "新增 {added} 筆、更新 {updated} 筆、不變 {unchanged} 筆",
    "roster.summary.updates": "更新內容：",
    "roster.summary.failed": "{kind}：匯入失敗，未寫入任何資料。請修正下列 {count} 列後重新匯入：",
    "roster.summary.file_failed": "{kind}：匯入失敗，未寫入任何資料。",
    "roster.note.students_missing": (
        "有 {count} 位在學學生不在此檔案中：匯入不會刪除學生，轉出、休學請另行辦理。"
    ),
    "roster.note.staff_missing": "有 {count} 位教職員不在此檔案中：匯入不會刪除教職員。",
    "roster.note.new_term": "新增學期：{year} 學年度第 {semester} 學期",
    "roster.note.class_enrolments": "依班級自動加入修課學生 {count} 筆",
    "roster.note.shared_guardian": "其中 {count} 筆是兄弟姊妹共用同一位家長（姓名與手機相同）",
    "roster.label.student": "學號 {no}",
    "roster.label.staff": "教職員編號 {no}",
    "roster.label.class": "班級 {code}",
    "roster.label.course": "課程 {code}（{where}）",
    "roster.label.enrolment": "學號 {no} 課程 {code}",
    "roster.label.guardian": "學號 {no} 家長 {name}",
    "roster.change.arrow": "{label} {old} → {new}",
    "roster.change.phone": "手機 已變更",
    "roster.change.empty": "—",
    "roster.course.no_class": "不分班",
    "roster.history.first": "名冊匯入",
    "roster.history.class_change": "轉班",
    "roster.col.student_no": "學號",
    "roster.col.name": "姓名",
    "roster.col.national_id": "身分證號",
    "roster.col.grade": "年級",
    "roster.col.class": "班級",
    "roster.col.seat": "座號",
    "roster.col.entry_year": "入學學年度",
    "roster.col.status": "學籍狀態",
    "roster.col.birth_date": "出生日期",
    "roster.col.staff_no": "教職員編號",
    "roster.col.roles": "角色",
    "roster.col.subject_area": "科別",
    "roster.col.homeroom": "導師編號",
    "roster.col.academic_year": "學年度",
    "roster.col.semester": "學期",
    "roster.col.course_code": "課程代碼",
    "roster.col.course_subject": "科目名稱",
    "roster.col.teacher": "授課教師編號",
    "roster.col.guardian_name": "家長姓名",
    "roster.col.relation": "關係",
    "roster.col.phone": "手機",
    "roster.kind.cadres": "幹部紀錄",
    "roster.kind.attendance": "出缺勤紀錄",
    "roster.col.unit": "單位名稱",
    "roster.col.position": "擔任職務",
    "roster.col.start_date": "開始日期",
    "roster.col.end_date": "結束日期",
    "roster.col.cadre_level": "幹部等級",
    "roster.col.day": "日期",
    "roster.col.period": "節次",
    "roster.col.leave_type": "假別",
    "roster.row.cadre_level": "幹部等級須為 {levels}",
    "roster.row.end_before_start": "結束日期早於開始日期",
    "roster.row.year_of_date": "{label} {value} 不在 {year} 學年度",
    "roster.row.duplicate_cadre": (
        "學號 {no} 的 {unit}{position}（{start}）重複（與第 {first} 列相同）"
    ),
    "roster.row.duplicate_attendance": "學號 {no} {day} 第 {period} 節重複（與第 {first} 列相同）",
    "roster.label.cadre": "學號 {no} {unit}{position}（{start}）",
    "roster.label.attendance": "學號 {no} {day} {period}",
    "roster.summary.cadre": "{unit}{position}（{level}）",
    "roster.note.attendance_kept": "出缺勤紀錄只留存在校內，不會匯出到中央資料庫。",
    "roster.describe": "匯入{kind}。必要欄位：{required}",
    "roster.describe_optional": "；選填欄位：{optional}",
    "lifecycle.history.transfer_in": "轉入",
    "lifecycle.history.repeat": "重讀",
    "lifecycle.history.reenrol": "復學",
    "lifecycle.deletion_report.col.deleted_at": "刪除時間",
    "lifecycle.deletion_report.col.student_no": "學號",
    "lifecycle.deletion_report.col.graduated_on": "畢業日",
    "lifecycle.deletion_report.col.sealed_at": "封存時間",
    "lifecycle.deletion_report.col.retention_end": "保存期滿日",
    "lifecycle.deletion_report.col.rows": "刪除資料筆數",
    "lifecycle.deletion_report.col.files": "檔案數",
    "lifecycle.deletion_report.col.bytes": "位元組",
    "lifecycle.deletion_report.col.files_removed_at": "檔案移除時間",
    "lifecycle.export.yes": "是",
    "lifecycle.export.no": "否",
    "receipts.id_columns": "身分證號／學號",
    "receipts.blank": "—",
    "records.export.col.id": "紀錄編號",
    "records.export.col.academic_year": "學年度",
    "records.export.col.semester": "學期",
    "records.export.col.date": "日期",
    "records.export.col.start": "開始時間",
    "records.export.col.end": "結束時間",
    "records.export.col.kind": "諮詢類型",
    "records.export.col.classes": "班級",
    "records.export.col.student_count": "學生人數",
    "records.export.col.student_nos": "學號",
    "records.export.col.student_names": "學生姓名",
    "records.export.col.place": "地點",
    "records.export.col.content": "諮詢內容與建議",
    "records.export.col.attachments": "附件",
    "records.export.col.consultant": "課程諮詢教師",
    "records.export.col.staff_no": "教師編號",
    "records.export.col.created_at": "建立時間",
    "records.export.col.updated_at": "最後修改",
    "records.export.student_col.id": "紀錄編號",
    "records.export.student_col.date": "日期",
    "records.export.student_col.student_no": "學號",
    "records.export.student_col.name": "姓名",
    "records.export.student_col.class": "班級",
    "records.export.student_col.seat": "座號",
    "records.export.student_col.kind": "諮詢類型",
    "records.export.student_col.consultant": "課程諮詢教師",
    "records.export.sheet": "課程諮詢紀錄",
    "records.export.student_sheet": "學生明細",
    "records.export.whole_class": "{code} 全班",
    "records.export.attachment": "{sha}（{mime}）",
    "rules.label.window.upload": "課程學習成果上傳",
    "rules.label.window.performance_upload": "多元表現上傳",
    "rules.label.window.certification": "課程學習成果認證",
    "rules.label.window.picking": "勾選提交中央",
    "rules.label.window.receipt_confirmation": "收訖明細確認",
    "rules.label.priority.urgent": "緊急",
    "rules.label.priority.normal": "一般",
    "rules.label.priority.low": "低",
    "rules.label.event.student_training": "學生訓練",
    "rules.label.event.teacher_workshop": "教師研習",
    "rules.label.event.parent_briefing": "親師說明",
    "rules.label.state.draft": "草稿",
    "rules.label.state.pending": "待認證",
    "rules.label.state.certified": "已認證",
    "rules.label.state.rejected": "退回",
    "rules.label.anchor.semester.start": "開學日",
    "rules.label.anchor.semester.closing_ceremony": "休業式",
    "rules.label.anchor.semester.end": "學期結束",
    "rules.label.when.dates": "每年 {dates}",
    "rules.label.when.start": "{window}開始",
    "rules.label.when.end": "{window}截止",
    "rules.label.when.after": "{base}後{days}天",
    "rules.label.when.before": "{base}前{days}天",
    "rules.label.when.same_day": "{base}當天",
    "rules.label.table.title": "{school}（學校代碼 {code}）{year} 學年度 學習歷程檔案規則",
    "rules.label.table.source": "規則檔：{source}；日期與時間皆為臺北時間",
    "rules.label.table.semesters": "【學期】",
    "rules.label.table.windows": "【期間】",
    "rules.label.table.limits": "【上限】",
    "rules.label.table.notices": "【通知】",
    "rules.label.table.schedule": "【工作期程（附表二）】",
    "rules.label.col.semester": "學期",
    "rules.label.col.semester_start": "開學日",
    "rules.label.col.closing_ceremony": "休業式",
    "rules.label.col.semester_end": "學期結束",
    "rules.label.col.window": "期間",
    "rules.label.col.scope": "範圍",
    "rules.label.col.start": "開始",
    "rules.label.col.end": "截止",
    "rules.label.col.days": "天數",
    "rules.label.col.item": "項目",
    "rules.label.col.uploads_per_semester": "每學期上傳",
    "rules.label.col.uploads_per_year": "每學年上傳",
    "rules.label.col.picks_per_year": "每學年勾選",
    "rules.label.col.date": "日期",
    "rules.label.col.time": "時間",
    "rules.label.col.audience": "對象",
    "rules.label.col.priority": "優先",
    "rules.label.col.rule": "規則",
    "rules.label.col.id": "編號",
    "rules.label.table.grade12": "（高三）",
    "rules.label.table.year_scope": "{year} 學年",
    "rules.label.table.days": "{days} 天",
    "rules.label.table.escalation": "{term} 未認證項目於 {date} 起轉代理人（截止前 {days} 天）",
    "rules.label.table.unlimited": "不限",
    "rules.label.table.course_outcome": "課程學習成果",
    "rules.label.table.performance": "多元表現",
    "rules.label.table.counted": "計入上傳上限的狀態：{states}",
    "rules.label.table.push_immediate": "即時",
    "rules.label.table.push_daily": "每日 {time}",
    "rules.label.table.approval.next_reply": "下次回覆時告知",
    "rules.label.table.approval.daily_digest": "每日彙整推播",
    "rules.label.table.notice_times": (
        "排程通知時間：{send}；認證推播：{push}；核准通知：{approval}"
    ),
    "rules.label.table.quiet": (
        "勿擾時段：{start}–{end}；每月訊息額度：{quota} 則；畢業後封存 {years} 年"
    ),
    "rules.label.table.events": "應辦活動期限：{events}",
    "rules.label.table.event_deadline": "{event} {date} 前",
    "rules.label.table.grades": "（{grades}）",
    "rules.label.table.grade.10": "高一",
    "rules.label.table.grade.11": "高二",
    "rules.label.table.grade.12": "高三",
    "rules.label.table.whole_year": "學年",
    # --- end section: staff-storage ---
    # --- section: staff-cli (messages of the portfolio commands) ---
    # portfolio certify
    "cli.certify.group_help": (
        "認證代理人（規定七）與稽核紀錄：請假／離職、接任教師、科召集人與指定教師、匯出紀錄。"
        "會改資料的指令都可加 --dry-run 先試算。"
    ),
    "cli.certify.action.submit": "送出",
    "cli.certify.action.certify": "通過",
    "cli.certify.action.reject": "退回",
    "cli.certify.action.withdraw": "撤回",
    "cli.certify.action.reassign": "改派",
    "cli.certify.audit.header.at": "時間",
    "cli.certify.audit.header.action": "動作",
    "cli.certify.audit.header.item": "項目編號",
    "cli.certify.audit.header.student_no": "學號",
    "cli.certify.audit.header.name": "姓名",
    "cli.certify.audit.header.class_seat": "班級座號",
    "cli.certify.audit.header.course": "科目",
    "cli.certify.audit.header.actor": "執行者",
    "cli.certify.audit.header.capacity": "身分",
    "cli.certify.audit.header.detail": "說明",
    "cli.certify.dry_run": "（試算：沒有寫入任何資料）",
    "cli.certify.unknown_staff": "找不到教職員編號 {no}",
    "cli.certify.bad_term": "學期請寫成 115-1 這樣，不是 {term}",
    "cli.certify.unknown_course": "找不到課程代碼 {code}",
    "cli.certify.ambiguous_course": (
        "課程代碼 {code} 有 {count} 門（{which}），請加 --class 或 --term"
    ),
    "cli.certify.no_moves": "待認證項目的認證者沒有變動。",
    "cli.certify.moves": "{count} 件待認證項目改由他人認證：",
    "cli.certify.move_line": "  #{id} {label}：{old} → {new}（{capacity}）",
    "cli.certify.more": "  …另 {count} 件",
    "cli.certify.opt.dry_run": "只試算會有哪些項目改派，不寫入。",
    "cli.certify.opt.class": "班級代碼。",
    "cli.certify.away.help": "設定教師請假或離職：期間內他的待認證項目交給代理人。",
    "cli.certify.away.opt.kind": "leave＝請假（有結束日）；left＝離職／調校。",
    "cli.certify.away.opt.from": "開始日 YYYY-MM-DD。",
    "cli.certify.away.opt.to": "結束日（含當天）；離職不用填。",
    "cli.certify.away.opt.note": "備註（例如假別）。",
    "cli.certify.away.end_before_start": "結束日早於開始日",
    "cli.certify.away.until_never": "不再回來",
    "cli.certify.away.until_open": "未定",
    "cli.certify.away.kind.leave": "請假",
    "cli.certify.away.kind.left": "離職",
    "cli.certify.away.done": "{name}：{kind} {start} 起，至 {until}。",
    "cli.certify.back.help": "教師今天起回來認證：結束（或取消）他的請假，項目交回給他。",
    "cli.certify.back.done": "{name}：結束 {count} 筆請假／離職設定。",
    "cli.certify.absences.help": "列出教師請假與離職設定。",
    "cli.certify.absences.opt.all": "連已結束的也列出。",
    "cli.certify.absences.none": "目前沒有請假或離職設定。",
    "cli.certify.successor.help": "指定接任教師：接手這門課（這個班）的老師，代理原任課教師認證。",
    "cli.certify.successor.opt.class": "班級代碼（同一課程代碼開給多班時）。",
    "cli.certify.successor.opt.clear": "取消這門課的接任教師。",
    "cli.certify.successor.missing": "請給接任教師的教職員編號，或用 --clear 取消",
    "cli.certify.successor.cleared": "{code}（{subject}，{where}）：已取消接任教師。",
    "cli.certify.successor.set": "{code}（{subject}，{where}）：接任教師為 {name}。",
    "cli.certify.convener.help": (
        "指定科召集人（以科目或科別名稱，例如 數學、國文），以及他指定代為認證的教師。"
    ),
    "cli.certify.convener.opt.designee": "召集人指定代為認證的教師編號。",
    "cli.certify.convener.designee": "，指定 {name} 代為認證",
    "cli.certify.convener.done": "{subject}：科召集人 {name}{extra}。",
    "cli.certify.conveners.help": "列出各科召集人與指定教師。",
    "cli.certify.conveners.none": (
        "還沒有指定科召集人（會以名冊中職稱為「科召集人」且科別相同的教師代理）。"
    ),
    "cli.certify.conveners.line": "{subject}\t{name}\t指定：{designee}",
    "cli.certify.chain.help": "顯示一門課今天的認證代理順序。",
    "cli.certify.chain.away": "（不在，略過）",
    "cli.certify.chain.none": "這門課沒有任課教師，也沒有代理人。",
    "cli.certify.status.help": "每位認證者的待認證件數，以及今天是否已推播。",
    "cli.certify.status.none": "沒有待認證項目。",
    "cli.certify.status.pushed": "今天 {at} 已推播",
    "cli.certify.status.not_pushed": "今天尚未推播",
    "cli.certify.status.line": "{name}\t待認證 {count} 件\t{note}",
    "cli.certify.cost.help": (
        "試算認證通知用掉的訊息額度：每日彙整推播、立即推播、逐件推播各要多少則。"
    ),
    "cli.certify.cost.opt.days": "回看幾天。",
    "cli.certify.cost.immediate": "立即推播",
    "cli.certify.cost.daily_at": "每日 {at} 彙整推播",
    "cli.certify.cost.summary": (
        "過去 {days} 天（{start}–{end}）：送出 {submissions} 件，認證決定 {decisions} 件"
        "（退回 {rejections} 件）。目前設定：{setting}。"
    ),
    "cli.certify.cost.daily": "  每日彙整推播：約 {count} 則（含退回通知 {rejections} 則）",
    "cli.certify.cost.immediate_line": (
        "  立即推播：    約 {count} 則（含退回通知 {rejections} 則）"
    ),
    "cli.certify.cost.naive": "  逐件推播：    {count} 則（每件通知老師、每個決定通知學生）",
    "cli.certify.cost.quota": "  每月訊息額度：{quota} 則",
    "cli.certify.audit.help": (
        "匯出課程學習成果的稽核紀錄：送出、認證、退回、撤回、改派（只增不改）。"
    ),
    "cli.certify.audit.opt.out": "輸出檔（.csv 或 .xlsx）。",
    "cli.certify.audit.opt.from": "起日（含）。",
    "cli.certify.audit.opt.to": "迄日（含）。",
    "cli.certify.audit.sheet": "稽核紀錄",
    "cli.certify.audit.bad_suffix": "輸出檔請用 .csv 或 .xlsx",
    "cli.certify.audit.done": "已匯出 {count} 筆稽核紀錄到 {path}",
    "cli.certify.opt.term": "學期，例如 115-1。",
    # portfolio rules / windows / events
    "cli.schedule.rules.help": "學校規則檔（SCHOOL_CONFIG）：檢視本學年的實際日期、檢查規則檔。",
    "cli.schedule.windows.help": (
        "工作小組設定或調整期間（上傳、認證、勾選、收訖確認），並自動公告給相關的人。"
    ),
    "cli.schedule.events.help": (
        "學生訓練、教師研習、親師說明會（補充規定第六點）：建立、列出、回覆統計。"
    ),
    "cli.schedule.opt.year": "學年度（民國），預設為今天所在的學年度。",
    "cli.schedule.opt.year_required": "學年度（民國），例如 115。",
    "cli.schedule.grade12": "（高三）",
    "cli.schedule.whole_year": "{year} 學年",
    "cli.schedule.rules.no_year": "規則檔沒有 {year} 學年度（有：{known}）：{error}",
    "cli.schedule.rules.changes": "\n【工作小組調整過的期間】",
    "cli.schedule.rules.change": "{at}  {window} {scope}：{old_start}–{old_end} → {start}–{end}",
    "cli.schedule.rules.changed_by": "（{who}）",
    "cli.schedule.rules.check_error": "錯誤：{error}",
    "cli.schedule.rules.check_ok": (
        "OK：{name}（{code}），學年度 {years}，工作期程 {rows} 列。用 portfolio rules show 看實際日期。"
    ),
    "cli.schedule.windows.opt.semester": (
        "學期 1 或 2（上傳、認證期間需要；勾選、收訖確認為全學年，不用）。"
    ),
    "cli.schedule.windows.opt.start": "第一天 YYYY-MM-DD（省略則不變）。",
    "cli.schedule.windows.opt.end": "最後一天 YYYY-MM-DD，當天整天都算（省略則不變）。",
    "cli.schedule.windows.opt.dry_run": "只檢查並顯示會公告給多少人，不寫入、不發送。",
    "cli.schedule.windows.no_dates": "請至少給 --start 或 --end",
    "cli.schedule.windows.year_window": "{kind} 是全學年的期間，不用 --semester",
    "cli.schedule.windows.semester_window": "{kind} 是每學期的期間，請加 --semester 1 或 2",
    "cli.schedule.windows.grade12_semester": "高三的期間只能設在第 2 學期（高三下）",
    "cli.schedule.windows.not_configured": "規則檔裡沒有這個期間：{error}",
    "cli.schedule.windows.unchanged": "{window}已經是 {start} 至 {end}，沒有變更，不公告。",
    "cli.schedule.windows.refused": "不能這樣設定：{reason}",
    "cli.schedule.windows.change": "{window}（{scope}）：{old_start}–{old_end} → {start}–{end}",
    "cli.schedule.windows.dry_run": (
        "（試算）會公告給 {people} 人，約用 {cost} 則訊息額度。未寫入。"
    ),
    "cli.schedule.windows.quiet": "已記錄。現在是勿擾時段，公告會在 {at} 後送給 {people} 人。",
    "cli.schedule.windows.sent": "已記錄並公告給 {people} 人（{calls} 次 LINE 呼叫）。",
    "cli.schedule.windows.changed_mark": "  （已調整）",
    "cli.schedule.events.bad_numbers": "{what} 請用逗號分隔的數字，例如 1,2",
    "cli.schedule.events.opt.kind": (
        "student_training 學生訓練 / teacher_workshop 教師研習 / parent_briefing 親師說明會"
    ),
    "cli.schedule.events.opt.title": "活動名稱（60 字內），例如「高一親師說明會」。",
    "cli.schedule.events.opt.date": "日期 YYYY-MM-DD。",
    "cli.schedule.events.opt.time": "開始時間 HH:MM（臺北時間）。",
    "cli.schedule.events.opt.place": "地點（60 字內），例如「大禮堂」。",
    "cli.schedule.events.opt.grades": "只通知這些年級，例如 1,2（或 10,11）。",
    "cli.schedule.events.opt.classes": "只通知這些班級，例如 101,102。",
    "cli.schedule.events.opt.students": "通知學生。",
    "cli.schedule.events.opt.guardians": "通知家長。",
    "cli.schedule.events.opt.teachers": "通知教師。",
    "cli.schedule.events.opt.dry_run": "只檢查並顯示會通知多少人，不寫入、不發送。",
    "cli.schedule.events.bad_title": "名稱需要 1 到 60 個字",
    "cli.schedule.events.bad_place": "地點需要 1 到 60 個字",
    "cli.schedule.events.bad_time": "請用 HH:MM，例如 09:30",
    "cli.schedule.events.bad_grades": "年級是 1 到 3（或 10 到 12）",
    "cli.schedule.events.past": "{when} 已經過了",
    "cli.schedule.events.unknown_classes": "找不到班級 {classes}",
    "cli.schedule.events.summary": "{kind}「{title}」{when}，{place}；{year} 學年度",
    "cli.schedule.events.audience": (
        "通知對象：{audience}，共 {people} 人（約用 {cost} 則訊息額度）"
    ),
    "cli.schedule.events.dry_run": "（試算）未寫入。",
    "cli.schedule.events.now": "現在",
    "cli.schedule.events.after_quiet": "勿擾時段結束後",
    "cli.schedule.events.created": "已建立活動 #{id}，{when}通知 {people} 人。",
    "cli.schedule.audience.students": "學生",
    "cli.schedule.audience.guardians": "家長",
    "cli.schedule.audience.teachers": "教師",
    "cli.schedule.audience.nobody": "（無）",
    "cli.schedule.audience.grades": "；年級 {grades}",
    "cli.schedule.audience.grade.10": "高一",
    "cli.schedule.audience.grade.11": "高二",
    "cli.schedule.audience.grade.12": "高三",
    "cli.schedule.audience.classes": "；班級 {classes}",
    "cli.schedule.events.none": "{year} 學年度還沒有活動。用 portfolio events create 建立。",
    "cli.schedule.events.cancelled": "（已取消）",
    "cli.schedule.events.line": (
        "#{id}  {when}  {kind}「{title}」 {place}{state}\n"
        "      對象：{audience}；參加 {attending}、不克參加 {declined}、未回覆 {unanswered}"
        "（共 {invited} 人）"
    ),
    "cli.schedule.events.due": "{kind}（{deadline} 前）",
    "cli.schedule.events.missing": "尚未排定（補充規定第六點每學年至少一次）：{due}",
    "cli.schedule.events.unknown": "沒有活動 #{id}；用 portfolio events list 查看編號",
    "cli.schedule.events.counts.title": "#{id} {kind}「{title}」{when} {place}",
    "cli.schedule.events.counts.line": (
        "參加 {attending}、不克參加 {declined}、未回覆 {unanswered}（共通知 {invited} 人）"
    ),
    "cli.schedule.events.counts.names": "參加：{names}",
    # portfolio import (roster)
    "cli.roster.help": (
        "匯入名冊（CSV：UTF-8 或 Big5；或 .xlsx 第一個工作表）。"
        "整個檔案全部通過檢查才會寫入；加 --dry-run 只試算不寫入。"
        "建議順序：staff → classes → students → courses → enrolments → guardians。"
    ),
    "cli.roster.opt.dry_run": "只試算要新增、更新哪些資料，不寫入。",
    # portfolio consultants / import cadres, attendance / export consultations
    "cli.records.consultants.help": (
        "課程諮詢教師負責的班級或年級（諮詢紀錄只能記錄負責班級的學生）。"
    ),
    "cli.records.opt.class": "班級代碼，例如 101。",
    "cli.records.opt.grade_all": "年級：1-3（或 10-12），該年級所有班級。",
    "cli.records.opt.grade": "年級：1-3（或 10-12）。",
    "cli.records.opt.dry_run": "只顯示會做什麼，不寫入。",
    "cli.records.export.opt.year": "學年度（民國年），例如 115。",
    "cli.records.export.opt.out": "輸出的 .xlsx 檔（預設：consultations_<學年度>.xlsx）。",
    # portfolio codes issue: the CSV and the printed slips
    "cli.codes.role.student": "學生",
    "cli.codes.role.staff": "教職員",
    "cli.codes.role.guardian": "家長",
    "cli.codes.unknown_class": "找不到班級 {code}",
    "cli.codes.nobody": "沒有符合條件的人，沒有產生任何綁定碼",
    "cli.codes.csv.role": "身分",
    "cli.codes.csv.number": "學號/編號",
    "cli.codes.csv.name": "姓名",
    "cli.codes.csv.class": "班級",
    "cli.codes.csv.seat": "座號",
    "cli.codes.csv.guardian": "家長",
    "cli.codes.csv.code": "綁定碼",
    "cli.codes.csv.expires": "有效期限",
    "cli.codes.slip.guardian": "{guardian}（{child} 的家長）",
    "cli.codes.slip.where": "{cls} 班 {seat} 號",
    "cli.codes.slip.how": (
        "加入學校 LINE 官方帳號後，傳送上面的綁定碼即可完成{role}身分綁定。"
        "此碼限用一次，有效至 {expires}，請勿交給他人。"
    ),
    "cli.codes.slip.title": "{role}綁定碼",
    # portfolio students / retention / backup / management / export student
    "cli.lifecycle.transfer_in.help": (
        "轉入：新學生編入班級，或先前轉出的學生回到本校（同一學號，成果都還在）。\n"
        "\n"
        "例：portfolio students transfer-in --id 115201 --name 王小明 --national-id A123456789\n"
        "--class 102 --seat 31 --on 2026-11-02 --note 來自臺南一中"
    ),
    "cli.lifecycle.transfer_out.help": (
        "轉出：學生離開本校。\n"
        "\n"
        "既有成果、認證與計數都不變（待認證的仍可由老師認證）；學生離開班級名單，\n"
        "還沒有上傳任何成果的課程退選；LINE 綁定結束並收到道別訊息（說明資料已保存、\n"
        "可向註冊組索取副本）。轉學資料請接著執行 portfolio export student --id 學號。"
    ),
    "cli.lifecycle.repeat.help": (
        "重讀：學生再讀一次同一年級，編入新班級。\n"
        "\n"
        "先前學年的成果、認證與上傳件數仍屬於原學年，不受影響。--on 請填新學年開始的日期\n"
        "（例如 2027-08-01），選課從那個學期起換成新班級的課程。"
    ),
    "cli.lifecycle.reenrol.help": "復學：休學的學生回到班上，可同時換新學號（--new-id）。",
    "cli.lifecycle.renumber.help": "改學號：同一位學生換新學號，成果、認證、綁定與歷程都保留。",
    "cli.lifecycle.graduate.help": (
        "標記畢業生：畢業日當天起，每日作業封存他們的學習歷程（只有行政人員可查閱）、\n"
        "結束學生與家長的 LINE 綁定（附道別訊息），保存期滿（規則檔，預設 2 年）後刪除。\n"
        "\n"
        "例：portfolio students graduate --grade 3 --on 2027-06-10 --except 113045 --dry-run"
    ),
    "cli.lifecycle.export_student.help": (
        "一位學生的完整學習歷程（轉學用）：portfolio-<學號>-<日期>.zip。\n"
        "\n"
        "\b\n"
        "內含 portfolio.xlsx 與 portfolio.json（每件課程學習成果與多元表現的狀態、認證結果、\n"
        "認證者與身分、班級歷程、學籍異動、諮詢紀錄等其他紀錄）、所有檔案（files/），\n"
        "以及 manifest.csv（每個檔案的 sha256）。封存中的畢業生也可匯出（限行政人員）。"
    ),
    "cli.lifecycle.retention_run.help": (
        "現在執行每日作業的封存與刪除：封存畢業日已到的畢業生，刪除保存期滿的封存資料\n"
        "（含檔案；同內容的檔案仍被其他資料使用時保留），並更新刪除報告（CSV）。\n"
        "\n"
        "加 --dry-run 只列出會封存、會刪除哪些學生與多少資料。"
    ),
    "cli.lifecycle.management_show.help": (
        "平台管理代理順序與今天接收管理通知的人（請假、離職用 portfolio certify away 設定）。"
    ),
    "cli.lifecycle.backup_create.help": (
        "備份資料庫（PostgreSQL 用 pg_dump、SQLite 用備份 API，皆為一致的快照）與所有檔案，\n"
        "並寫入 sha256 檢查碼清單。同一資料夾裡已備份過的檔案以硬連結共用，只複製新檔案。"
    ),
    "cli.lifecycle.backup_verify.help": (
        "檢查一份備份：每個檔案的 sha256、清單是否完整、資料庫檔能否讀取。"
    ),
    "cli.lifecycle.backup_restore.help": (
        "把一份備份還原到目前設定的資料庫（DATABASE_URL）與檔案區（STORAGE_DIR）。\n"
        "\n"
        "兩者都必須是全新、空的：已有任何資料表或檔案就拒絕，不會覆蓋資料。\n"
        "先建立空資料庫（不要先執行 db upgrade），還原後再執行 portfolio db upgrade。"
    ),
    "cli.lifecycle.students.help": (
        "學籍異動（規定五）與畢業（規定九）：轉入、轉出、重讀、復學、改學號、畢業。"
        "學生的既有成果與認證一律不變；會改資料的指令都可加 --dry-run 先試算。"
    ),
    "cli.lifecycle.retention.help": "畢業生封存與保存期滿刪除（規定九）。",
    "cli.lifecycle.backup.help": (
        "備份資料庫與所有檔案（含 sha256 檢查碼）、檢查備份、還原到全新的空資料庫。"
    ),
    "cli.lifecycle.management.help": "平台管理代理人（規定七）：註冊組長 → 教學組長 → 資媒組長。",
    "cli.lifecycle.opt.dry_run": "只試算，不寫入任何資料、不發任何訊息。",
    "cli.lifecycle.opt.id": "學號。",
    "cli.lifecycle.opt.on": "生效日 YYYY-MM-DD（預設今天）；從這天所屬的學期起調整選課。",
    "cli.lifecycle.opt.class": "新班級代碼，例如 102。",
    "cli.lifecycle.opt.seat": "新座號。",
    "cli.lifecycle.opt.grade": "年級 1–3（預設為班級的年級）。",
    "cli.lifecycle.opt.note": "備註，例如轉入或轉出的學校（只有行政人員看得到）。",
    "cli.lifecycle.transfer_in.opt.name": "姓名（新學生必填）。",
    "cli.lifecycle.transfer_in.opt.national_id": "身分證號（新學生必填；加密保存）。",
    "cli.lifecycle.transfer_in.opt.birth_date": "出生日期 YYYY-MM-DD。",
    "cli.lifecycle.transfer_in.opt.entry_year": "入學學年度（預設依年級推算）。",
    "cli.lifecycle.reenrol.opt.new_id": "復學後的新學號（如有）；學生的成果與綁定都跟著走。",
    "cli.lifecycle.renumber.opt.new_id": "新學號。",
    "cli.lifecycle.graduate.opt.grade": "年級（1–3，或 10–12）。",
    "cli.lifecycle.graduate.opt.class": "只限這些班級（可重複）。",
    "cli.lifecycle.graduate.opt.id": "只限這些學號（可重複）。",
    "cli.lifecycle.graduate.opt.except": "不畢業的學號（可重複）。",
    "cli.lifecycle.graduate.opt.on": "畢業日 YYYY-MM-DD（預設今天）。",
    "cli.lifecycle.graduate.opt.cancel": "取消 --id 學生的畢業標記（尚未封存才可以）。",
    "cli.lifecycle.graduate.cancel_needs_id": "--cancel 需要 --id 學號",
    "cli.lifecycle.graduate.no_selection": "請用 --grade、--class 或 --id 指定畢業生",
    "cli.lifecycle.graduate.bad_grade": "年級請寫 1–3 或 10–12",
    "cli.lifecycle.export_student.opt.out": "輸出資料夾。",
    "cli.lifecycle.export_student.opt.national_id": (
        "在基本資料中寫入完整身分證號（預設遮蔽；給新學校的正式轉學資料才需要）。"
    ),
    "cli.lifecycle.backup_create.opt.out": "備份放在這個資料夾（預設環境變數 BACKUP_DIR）。",
    "cli.db_not_migrated": "資料庫尚未建立或不是最新版本：請先執行 portfolio db upgrade。",
    "cli.db_unreachable": "無法使用資料庫（{error}）：請檢查 DATABASE_URL 與資料庫伺服器是否正常。",
    # --- end section: staff-cli ---
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
