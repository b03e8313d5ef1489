"""Thai and English. English text is the key (as with gettext); `THAI` holds its translations.

The language is the `lang` query parameter (remembered in a cookie), else that cookie, else the
browser's Accept-Language, else English. A test checks that every string the templates and
scripts ask for has a Thai translation.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

LANGUAGES = ("en", "th")
DEFAULT_LANGUAGE = "en"
LANG_COOKIE = "lang"

Translate = Callable[[str], str]

THAI: dict[str, str] = {
    # shared
    "eventface": "eventface",
    "Language": "ภาษา",
    "Skip to content": "ข้ามไปยังเนื้อหา",
    "Sign in": "เข้าสู่ระบบ",
    "Sign out": "ออกจากระบบ",
    "Sign up": "สมัครใช้งาน",
    "Email": "อีเมล",
    "Password": "รหัสผ่าน",
    "At least 10 characters": "อย่างน้อย 10 ตัวอักษร",
    "Create account": "สร้างบัญชี",
    "No account yet?": "ยังไม่มีบัญชี?",
    "Already have an account?": "มีบัญชีอยู่แล้ว?",
    "Photographer sign in": "เข้าสู่ระบบสำหรับช่างภาพ",
    "Create your photographer account": "สร้างบัญชีช่างภาพ",
    "Something went wrong": "เกิดข้อผิดพลาด",
    "Back": "กลับ",
    "Page not found": "ไม่พบหน้านี้",
    # error pages, by error code (web/errors.py PAGE_TEXTS)
    "This page does not exist, or the link is no longer valid.": "ไม่มีหน้านี้ หรือลิงก์หมดอายุแล้ว",
    "You are not allowed to do this. Reload the page and try again.": (
        "คุณไม่มีสิทธิ์ทำรายการนี้ กรุณาโหลดหน้าใหม่แล้วลองอีกครั้ง"
    ),
    "Too many attempts. Please wait a minute and try again.": "ลองหลายครั้งเกินไป กรุณารอสักครู่แล้วลองใหม่",
    "The server is busy right now. Please try again in a moment.": "เซิร์ฟเวอร์กำลังทำงานหนัก กรุณาลองใหม่อีกครั้ง",
    "This file type is not supported.": "ไม่รองรับไฟล์ประเภทนี้",
    "The request took too long. Please try again.": "คำขอใช้เวลานานเกินไป กรุณาลองใหม่",
    "Close": "ปิด",
    "Cancel": "ยกเลิก",
    # dashboard
    "Your events": "งานของคุณ",
    "New event": "สร้างงานใหม่",
    "No events yet. Create one to get a guest link and a QR code.": (
        "ยังไม่มีงาน สร้างงานใหม่เพื่อรับลิงก์และ QR code สำหรับแขก"
    ),
    "Event": "งาน",
    "Date": "วันที่",
    "Photos": "รูปภาพ",
    "Faces": "ใบหน้า",
    "Indexing": "การสแกนใบหน้า",
    "Last sync": "ซิงก์ล่าสุด",
    "never": "ยังไม่เคย",
    "not started": "ยังไม่เริ่ม",
    "queued": "รอคิว",
    "running": "กำลังทำงาน",
    "done": "เสร็จแล้ว",
    "failed": "ล้มเหลว",
    "interrupted": "หยุดกลางคัน",
    # new event
    "Event name": "ชื่องาน",
    "Photo folder on the server": "โฟลเดอร์รูปภาพบนเซิร์ฟเวอร์",
    "Folders inside the server's photo folders; subfolders are included.": (
        "โฟลเดอร์ภายในโฟลเดอร์รูปภาพของเซิร์ฟเวอร์ รวมโฟลเดอร์ย่อยด้วย"
    ),
    "There is no folder to choose yet. Put each event's photos in its own folder inside:": (
        "ยังไม่มีโฟลเดอร์ให้เลือก ให้ใส่รูปของแต่ละงานไว้ในโฟลเดอร์ของตัวเองภายใน:"
    ),
    "photo": "รูป",
    "photos": "รูป",
    "this folder cannot be used: choose a folder inside the server's photo folders": (
        "ใช้โฟลเดอร์นี้ไม่ได้ เลือกโฟลเดอร์ที่อยู่ภายในโฟลเดอร์รูปภาพของเซิร์ฟเวอร์"
    ),
    "an event name may not contain control characters such as line breaks or tabs": (
        "ชื่องานต้องไม่มีอักขระควบคุม เช่น การขึ้นบรรทัดใหม่หรือแท็บ"
    ),
    "Create event": "สร้างงาน",
    # event page
    "Guest link": "ลิงก์สำหรับแขก",
    "Copy link": "คัดลอกลิงก์",
    "Copied": "คัดลอกแล้ว",
    "Share this link or QR code with your guests.": "แชร์ลิงก์หรือ QR code นี้ให้แขกของคุณ",
    "Guests' phones cannot open this link.": "โทรศัพท์ของแขกเปิดลิงก์นี้ไม่ได้",
    "It points to": "ลิงก์นี้ชี้ไปที่",
    ", an address only this computer or its local network can reach.": (
        " ซึ่งเป็นที่อยู่ที่เข้าถึงได้เฉพาะจากเครื่องนี้หรือเครือข่ายภายในเท่านั้น"
    ),
    "Ask the server admin to set PUBLIC_BASE_URL to the server's public https address "
    "(see docs/deploy.md), then print the QR code.": (
        "ให้ผู้ดูแลเซิร์ฟเวอร์ตั้งค่า PUBLIC_BASE_URL เป็นที่อยู่ https สาธารณะของเซิร์ฟเวอร์ "
        "(ดู docs/deploy.md) แล้วจึงพิมพ์ QR code"
    ),
    "QR code for the guest link": "QR code ของลิงก์สำหรับแขก",
    "Download QR (SVG)": "ดาวน์โหลด QR (SVG)",
    "Download QR (PNG)": "ดาวน์โหลด QR (PNG)",
    "Open guest page": "เปิดหน้าสำหรับแขก",
    "Start indexing": "เริ่มสแกนใบหน้า",
    "Index new photos": "สแกนรูปใหม่",
    "photos indexed": "รูปที่สแกนแล้ว",
    "faces found": "ใบหน้าที่พบ",
    "failed photos": "รูปที่ล้มเหลว",
    "Photos that could not be indexed": "รูปที่สแกนไม่ได้",
    "Auto-sync": "ซิงก์อัตโนมัติ",
    "Check the folder for new and deleted photos automatically": "ตรวจหารูปใหม่และรูปที่ถูกลบในโฟลเดอร์โดยอัตโนมัติ",
    "Every": "ทุก",
    "30 seconds": "30 วินาที",
    "minute": "นาที",
    "minutes": "นาที",
    "Next sync": "ซิงก์ครั้งถัดไป",
    "Syncing now": "กำลังซิงก์",
    "Last error": "ข้อผิดพลาดล่าสุด",
    "Delete event": "ลบงาน",
    "Danger zone": "ส่วนอันตราย",
    "Deleting removes the event, its face data and thumbnails. Your photo files are not touched.": (
        "การลบจะลบงาน ข้อมูลใบหน้า และภาพย่อทั้งหมด ไฟล์รูปต้นฉบับของคุณจะไม่ถูกแตะต้อง"
    ),
    "Delete this event and all its face data?": "ลบงานนี้และข้อมูลใบหน้าทั้งหมดหรือไม่?",
    "Type the event name to confirm": "พิมพ์ชื่องานเพื่อยืนยัน",
    "The name you typed does not match the event name.": "ชื่อที่พิมพ์ไม่ตรงกับชื่องาน",
    "No photos yet: start indexing to scan the folder.": "ยังไม่มีรูป กดเริ่มสแกนเพื่อสแกนโฟลเดอร์",
    "faces": "ใบหน้า",
    "face": "ใบหน้า",
    "pending": "รอสแกน",
    "More photos": "รูปเพิ่มเติม",
    "Source": "แหล่งรูปภาพ",
    # Google Drive: the dashboard card, the new-event form, the event page
    "Google Drive": "Google ไดรฟ์",
    "Google Drive folder": "โฟลเดอร์ใน Google ไดรฟ์",
    "Google account": "บัญชี Google",
    "Connect Google Drive": "เชื่อมต่อ Google ไดรฟ์",
    "Connect another Google account": "เชื่อมต่อบัญชี Google อื่น",
    "Connect your Google account to create events on Google Drive folders. eventface only reads them.": (
        "เชื่อมต่อบัญชี Google เพื่อสร้างงานจากโฟลเดอร์ใน Google ไดรฟ์ eventface อ่านได้อย่างเดียว ไม่แก้ไขไฟล์"
    ),
    "Google Drive is not set up on this server: the server admin must set GOOGLE_CLIENT_ID and "
    "GOOGLE_CLIENT_SECRET (README, “Google Drive”).": (
        "เซิร์ฟเวอร์นี้ยังไม่ได้ตั้งค่า Google ไดรฟ์ ผู้ดูแลเซิร์ฟเวอร์ต้องตั้งค่า GOOGLE_CLIENT_ID และ "
        "GOOGLE_CLIENT_SECRET (ดูหัวข้อ “Google Drive” ใน README)"
    ),
    "connected": "เชื่อมต่อแล้ว",
    "disconnected": "ยกเลิกการเชื่อมต่อแล้ว",
    "reconnect needed": "ต้องเชื่อมต่อใหม่",
    "Reconnect": "เชื่อมต่อใหม่",
    "Disconnect": "ยกเลิกการเชื่อมต่อ",
    "Disconnect this Google account? Its events keep their photos but stop syncing.": (
        "ยกเลิกการเชื่อมต่อบัญชี Google นี้หรือไม่? งานที่ใช้บัญชีนี้ยังเก็บรูปไว้ แต่จะหยุดซิงก์"
    ),
    "Google no longer accepts eventface's access to this account: it was removed, or it expired. "
    "Its events stop syncing until you reconnect.": (
        "Google ไม่อนุญาตให้ eventface เข้าถึงบัญชีนี้แล้ว เพราะสิทธิ์ถูกยกเลิกหรือหมดอายุ "
        "งานที่ใช้บัญชีนี้จะหยุดซิงก์จนกว่าคุณจะเชื่อมต่อใหม่"
    ),
    "Google said": "ข้อความจาก Google",
    "Google Drive is connected. You can now create events on your Drive folders.": (
        "เชื่อมต่อ Google ไดรฟ์แล้ว ตอนนี้คุณสร้างงานจากโฟลเดอร์ในไดรฟ์ได้แล้ว"
    ),
    "The Google account was disconnected. Its events keep their photos and faces, "
    "but stop syncing until you connect the account again.": (
        "ยกเลิกการเชื่อมต่อบัญชี Google แล้ว งานที่ใช้บัญชีนี้ยังเก็บรูปและใบหน้าไว้ แต่จะหยุดซิงก์จนกว่าคุณจะเชื่อมต่อบัญชีอีกครั้ง"
    ),
    "You cancelled the Google sign-in, so nothing was connected.": (
        "คุณยกเลิกการลงชื่อเข้าใช้ Google จึงยังไม่มีบัญชีใดถูกเชื่อมต่อ"
    ),
    "eventface was not allowed to read your Google Drive. Connect again and, on Google's screen, "
    "tick the box that lets eventface see your Google Drive files.": (
        "eventface ไม่ได้รับอนุญาตให้อ่าน Google ไดรฟ์ของคุณ กรุณาเชื่อมต่ออีกครั้ง "
        "และในหน้าของ Google ให้ติ๊กช่องที่อนุญาตให้ eventface ดูไฟล์ใน Google ไดรฟ์ของคุณ"
    ),
    "Google sign-in failed. Please try again.": "ลงชื่อเข้าใช้ Google ไม่สำเร็จ กรุณาลองใหม่",
    "Last 24 hours": "24 ชั่วโมงล่าสุด",
    "photos added": "รูปที่เพิ่มเข้ามา",
    "photos removed": "รูปที่ถูกลบออก",
    "sync": "รอบซิงก์",
    "syncs": "รอบซิงก์",
    "no syncs": "ยังไม่มีการซิงก์",
    "Where are the photos?": "รูปภาพอยู่ที่ไหน?",
    "Folder on this server": "โฟลเดอร์บนเซิร์ฟเวอร์นี้",
    "A folder on the computer eventface runs on.": "โฟลเดอร์บนเครื่องที่ใช้รัน eventface",
    "A folder in your Google Drive: photos you add to it later are picked up too.": (
        "โฟลเดอร์ใน Google ไดรฟ์ของคุณ รูปที่เพิ่มเข้าไปภายหลังจะถูกนำเข้าด้วย"
    ),
    "Link to the Google Drive folder": "ลิงก์ของโฟลเดอร์ใน Google ไดรฟ์",
    "Open the folder in Google Drive and copy the address from the browser, or use Share › Copy link. "
    "Subfolders are included.": (
        "เปิดโฟลเดอร์ใน Google ไดรฟ์ แล้วคัดลอกที่อยู่จากเบราว์เซอร์ หรือใช้ แชร์ › คัดลอกลิงก์ รวมโฟลเดอร์ย่อยด้วย"
    ),
    "An account needs reconnecting before eventface can read its Drive.": (
        "มีบัญชีที่ต้องเชื่อมต่อใหม่ก่อน eventface จึงจะอ่านไดรฟ์ของบัญชีนั้นได้"
    ),
    "Connect your Google account first. eventface only reads the folders you choose.": (
        "เชื่อมต่อบัญชี Google ของคุณก่อน eventface จะอ่านเฉพาะโฟลเดอร์ที่คุณเลือกเท่านั้น"
    ),
    "Connect Google Drive first: eventface reads the folder through your Google account.": (
        "กรุณาเชื่อมต่อ Google ไดรฟ์ก่อน eventface อ่านโฟลเดอร์ผ่านบัญชี Google ของคุณ"
    ),
    "Choose one of your connected Google accounts.": "กรุณาเลือกบัญชี Google ที่เชื่อมต่อไว้หนึ่งบัญชี",
    "Google no longer accepts eventface's access to this account. Reconnect it, then try again.": (
        "Google ไม่อนุญาตให้ eventface เข้าถึงบัญชีนี้แล้ว กรุณาเชื่อมต่อใหม่ แล้วลองอีกครั้ง"
    ),
    "This event has stopped syncing: its Google account must be reconnected.": (
        "งานนี้หยุดซิงก์แล้ว ต้องเชื่อมต่อบัญชี Google ใหม่"
    ),
    "Its Google account was disconnected.": "บัญชี Google ของงานนี้ถูกยกเลิกการเชื่อมต่อแล้ว",
    "Photos already indexed can still be found by guests.": "แขกยังค้นหารูปที่สแกนแล้วได้ตามปกติ",
    "The last sync failed": "การซิงก์ครั้งล่าสุดล้มเหลว",
    "Sync activity": "ประวัติการซิงก์",
    "No syncs yet. Turn on auto-sync to pick up new and deleted photos.": (
        "ยังไม่เคยซิงก์ เปิดซิงก์อัตโนมัติเพื่อรับรูปใหม่และรูปที่ถูกลบ"
    ),
    "Scheduled": "ตามรอบเวลา",
    "Drive push": "ไดรฟ์แจ้งเตือน",
    "Manual": "สั่งเอง",
    "Folder change": "โฟลเดอร์มีการเปลี่ยนแปลง",
    "full listing": "อ่านทั้งโฟลเดอร์",
    "The whole folder was listed, not only the changes.": "อ่านรายการไฟล์ทั้งโฟลเดอร์ ไม่ใช่เฉพาะส่วนที่เปลี่ยน",
    "added": "เพิ่ม",
    "changed": "เปลี่ยน",
    "removed": "ลบ",
    # services' messages shown on the new-event form
    "an event needs a name": "กรุณาตั้งชื่องาน",
    "an event needs a photo folder": "กรุณาระบุโฟลเดอร์รูปภาพ",
    "paste the link of a Google Drive folder": "กรุณาวางลิงก์ของโฟลเดอร์ใน Google ไดรฟ์",
    "this is the link of a file, not of a folder: open the folder and copy its link": (
        "นี่คือลิงก์ของไฟล์ ไม่ใช่โฟลเดอร์ กรุณาเปิดโฟลเดอร์แล้วคัดลอกลิงก์ของโฟลเดอร์"
    ),
    "this Drive link is a file, not a folder": "ลิงก์นี้เป็นไฟล์ ไม่ใช่โฟลเดอร์ กรุณาใช้ลิงก์ของโฟลเดอร์",
    "this Google Drive folder does not exist or is not shared with the connected account": (
        "ไม่พบโฟลเดอร์นี้ใน Google ไดรฟ์ หรือโฟลเดอร์ไม่ได้แชร์ให้บัญชีที่เชื่อมต่อไว้"
    ),
    "this Google Drive folder is in the trash": "โฟลเดอร์นี้อยู่ในถังขยะของ Google ไดรฟ์",
    "this is not the link of a Google Drive folder: open the folder and copy its link": (
        "นี่ไม่ใช่ลิงก์ของโฟลเดอร์ Google ไดรฟ์ เปิดโฟลเดอร์แล้วคัดลอกลิงก์ของโฟลเดอร์นั้น"
    ),
    "an event name may have at most 200 characters": "ชื่องานยาวได้ไม่เกิน 200 ตัวอักษร",
    # guest page
    "Find your photos": "ค้นหารูปของคุณ",
    "Take or choose a selfie and we will show you every photo of this event you appear in.": (
        "ถ่ายหรือเลือกรูปเซลฟี่ แล้วเราจะแสดงทุกรูปในงานนี้ที่มีคุณอยู่"
    ),
    "About your face data": "เกี่ยวกับข้อมูลใบหน้าของคุณ",
    "Your selfie is used only to compare your face with the faces in this event's photos. "
    "A face is biometric data: your selfie is processed in memory and discarded at once. "
    "It is never stored, and nothing about it is kept after the search.": (
        "รูปเซลฟี่ของคุณใช้เพื่อเปรียบเทียบใบหน้าของคุณกับใบหน้าในรูปของงานนี้เท่านั้น "
        "ใบหน้าเป็นข้อมูลชีวมิติ รูปเซลฟี่ของคุณจะถูกประมวลผลในหน่วยความจำและลบทิ้งทันที "
        "ไม่มีการจัดเก็บ และไม่มีข้อมูลใดของรูปนั้นถูกเก็บไว้หลังการค้นหา"
    ),
    "I agree that my selfie is used to find my photos in this event.": (
        "ฉันยินยอมให้ใช้รูปเซลฟี่ของฉันเพื่อค้นหารูปของฉันในงานนี้"
    ),
    "Your selfies (1 to 3)": "รูปเซลฟี่ของคุณ (1 ถึง 3 รูป)",
    "Take or choose selfies": "ถ่ายหรือเลือกรูปเซลฟี่",
    "One face, looking at the camera, in good light. More selfies find more photos.": (
        "หน้าเดียว มองกล้อง แสงสว่างเพียงพอ ยิ่งมีหลายรูปยิ่งพบรูปมากขึ้น"
    ),
    "Remove": "ลบออก",
    "Selfie": "เซลฟี่",
    "Find my photos": "ค้นหารูปของฉัน",
    "Searching…": "กำลังค้นหา…",
    "Please give your consent first.": "กรุณาให้ความยินยอมก่อน",
    "Please add a selfie first.": "กรุณาเพิ่มรูปเซลฟี่ก่อน",
    "At most 3 selfies.": "ได้สูงสุด 3 รูป",
    "This file is too large.": "ไฟล์นี้ใหญ่เกินไป",
    "Your photos": "รูปของคุณ",
    "photos found": "รูปที่พบ",
    "Download all": "ดาวน์โหลดทั้งหมด",
    "Download": "ดาวน์โหลด",
    "No photos found yet. Try another selfie, or come back later: new photos keep arriving.": (
        "ยังไม่พบรูป ลองใช้เซลฟี่รูปอื่น หรือกลับมาใหม่ภายหลัง เพราะรูปใหม่จะทยอยเข้ามา"
    ),
    "No face found in this selfie: try one facing the camera, in good light.": (
        "ไม่พบใบหน้าในเซลฟี่นี้ ลองใช้รูปที่หันหน้าเข้ากล้องและมีแสงสว่างเพียงพอ"
    ),
    "More than one face in this selfie: the largest one was used.": (
        "พบมากกว่าหนึ่งใบหน้าในเซลฟี่นี้ ระบบใช้ใบหน้าที่ใหญ่ที่สุด"
    ),
    "This file could not be read as a photo.": "ไม่สามารถอ่านไฟล์นี้เป็นรูปภาพได้",
    "Too many searches: please wait a minute and try again.": "ค้นหาบ่อยเกินไป กรุณารอสักครู่แล้วลองใหม่",
    "None of your selfies could be used.": "ไม่สามารถใช้เซลฟี่ของคุณได้เลย",
    "The search failed. Please try again.": "การค้นหาล้มเหลว กรุณาลองใหม่",
    "Many guests are searching right now: trying again in {seconds} s…": (
        "มีแขกหลายคนกำลังค้นหาอยู่ในขณะนี้ ระบบจะลองใหม่ใน {seconds} วินาที…"
    ),
    "Tap a face to find more photos of that person.": "แตะที่ใบหน้าเพื่อค้นหารูปเพิ่มเติมของคนนั้น",
    "More photos of this person": "รูปเพิ่มเติมของคนนี้",
    "Photos of the person you chose": "รูปของคนที่คุณเลือก",
    "Previous photo": "รูปก่อนหน้า",
    "Next photo": "รูปถัดไป",
    "Photo": "รูปภาพ",
    "Start over": "เริ่มใหม่",
    "Photos are still being added to this event.": "กำลังเพิ่มรูปเข้างานนี้",
    # accounts: sign-in, sign-up, the users page (web/accounts_pages.py, web/admin.py)
    "wrong email or password": "อีเมลหรือรหัสผ่านไม่ถูกต้อง",
    "this account is disabled: ask an administrator": "บัญชีนี้ถูกระงับ กรุณาติดต่อผู้ดูแลระบบ",
    "the password must be at least 10 characters long": "รหัสผ่านต้องมีอย่างน้อย 10 ตัวอักษร",
    "this is the last enabled admin: promote another account first": (
        "นี่คือผู้ดูแลระบบคนสุดท้ายที่ใช้งานอยู่ กรุณาตั้งบัญชีอื่นเป็นผู้ดูแลระบบก่อน"
    ),
    "an account with this email already exists": "มีบัญชีที่ใช้อีเมลนี้อยู่แล้ว",
    "not a valid email address": "อีเมลไม่ถูกต้อง",
    "sign-up is closed on this server: ask its administrator for an account": (
        "เซิร์ฟเวอร์นี้ปิดการสมัครใช้งาน กรุณาขอบัญชีจากผู้ดูแลระบบ"
    ),
    "invites need EVENTFACE_SIGNUP=invite (sign-up is closed on this server)": (
        "การเชิญต้องตั้งค่า EVENTFACE_SIGNUP=invite (เซิร์ฟเวอร์นี้ปิดการสมัครใช้งาน)"
    ),
    "this invite link is not valid: it was used already or has expired": (
        "ลิงก์เชิญนี้ใช้ไม่ได้ อาจถูกใช้ไปแล้วหรือหมดอายุ"
    ),
    "this invite is for another email address": "ลิงก์เชิญนี้สำหรับอีเมลอื่น",
    "too many attempts: wait a minute and try again": "ลองหลายครั้งเกินไป กรุณารอหนึ่งนาทีแล้วลองใหม่",
    "too many sign-ins at once: try again in a moment": "มีการเข้าสู่ระบบพร้อมกันมากเกินไป กรุณาลองใหม่อีกครั้ง",
    "This is the first account on this server: it will be its administrator.": (
        "นี่คือบัญชีแรกของเซิร์ฟเวอร์นี้ และจะเป็นผู้ดูแลระบบ"
    ),
    "Users": "ผู้ใช้",
    "Invite a photographer": "เชิญช่างภาพ",
    "Send this link to": "ส่งลิงก์นี้ให้",
    "It works once, for this email only, for 7 days. It is shown only now.": (
        "ใช้ได้ครั้งเดียว เฉพาะอีเมลนี้ ภายใน 7 วัน และจะแสดงเพียงครั้งนี้เท่านั้น"
    ),
    "Create invite link": "สร้างลิงก์เชิญ",
    "Role": "บทบาท",
    "Status": "สถานะ",
    "Created": "สร้างเมื่อ",
    "Last sign-in": "เข้าสู่ระบบล่าสุด",
    "Actions": "การจัดการ",
    "admin": "ผู้ดูแลระบบ",
    "photographer": "ช่างภาพ",
    "disabled": "ถูกระงับ",
    "active": "ใช้งานอยู่",
    "Enable": "เปิดใช้งาน",
    "Disable": "ระงับ",
    "Make admin": "ตั้งเป็นผู้ดูแลระบบ",
    "New password": "รหัสผ่านใหม่",
    "Current password": "รหัสผ่านปัจจุบัน",
    "Change password": "เปลี่ยนรหัสผ่าน",
    "Your password was changed. Every other browser and device signed in as you was signed out.": (
        "เปลี่ยนรหัสผ่านแล้ว เบราว์เซอร์และอุปกรณ์อื่นที่เข้าสู่ระบบด้วยบัญชีนี้ถูกออกจากระบบทั้งหมด"
    ),
    "Set password": "ตั้งรหัสผ่าน",
    "The account is disabled and signed out everywhere.": "บัญชีถูกระงับและออกจากระบบทุกอุปกรณ์แล้ว",
    "The account is enabled again.": "เปิดใช้งานบัญชีอีกครั้งแล้ว",
    "The account is now an admin.": "บัญชีนี้เป็นผู้ดูแลระบบแล้ว",
    "The password was changed; the account is signed out everywhere.": (
        "เปลี่ยนรหัสผ่านแล้ว บัญชีนี้ออกจากระบบทุกอุปกรณ์แล้ว"
    ),
    "Sign-up is closed (EVENTFACE_SIGNUP=closed): set it to invite to send invite links.": (
        "ปิดการสมัครใช้งานอยู่ (EVENTFACE_SIGNUP=closed) ตั้งค่าเป็น invite เพื่อส่งลิงก์เชิญ"
    ),
    # who sees what: the event page's choice and a gallery event's guest page
    "What guests with the link see": "สิ่งที่แขกที่มีลิงก์มองเห็น",
    "Private: each guest sees only the photos their selfie finds": (
        "ส่วนตัว: แขกแต่ละคนเห็นเฉพาะรูปที่ค้นพบจากเซลฟี่ของตนเอง"
    ),
    "Gallery: anyone with the link may also browse all photos, by album": (
        "แกลเลอรี: ทุกคนที่มีลิงก์สามารถดูรูปทั้งหมดได้ แยกตามอัลบั้ม"
    ),
    "Save": "บันทึก",
    "Browse all photos": "ดูรูปทั้งหมด",
    "Albums": "อัลบั้ม",
    "All photos": "รูปทั้งหมด",
    "No photos here yet: new photos keep arriving.": "ยังไม่มีรูปที่นี่ รูปใหม่จะทยอยเข้ามา",
    "Pages": "หน้า",
    "Previous page": "หน้าก่อนหน้า",
    "Next page": "หน้าถัดไป",
    # password reset by email
    "Forgot your password?": "ลืมรหัสผ่าน?",
    "Give your account's email: we send it a link to set a new password.": (
        "กรอกอีเมลของบัญชี แล้วเราจะส่งลิงก์สำหรับตั้งรหัสผ่านใหม่ไปให้"
    ),
    "Send me a link": "ส่งลิงก์ให้ฉัน",
    "Back to sign in": "กลับไปหน้าเข้าสู่ระบบ",
    "Set a new password": "ตั้งรหัสผ่านใหม่",
    "If an account uses this email, a link to set a new password is on its way. It works for an hour.": (
        "หากมีบัญชีที่ใช้อีเมลนี้ ลิงก์สำหรับตั้งรหัสผ่านใหม่กำลังส่งไป ลิงก์ใช้ได้ภายในหนึ่งชั่วโมง"
    ),
    "Set a new eventface password": "ตั้งรหัสผ่าน eventface ใหม่",
    "Your new password is set, and every browser signed in as you was signed out. Sign in with it.": (
        "ตั้งรหัสผ่านใหม่แล้ว และทุกเบราว์เซอร์ที่เข้าสู่ระบบในชื่อคุณถูกออกจากระบบ กรุณาเข้าสู่ระบบด้วยรหัสผ่านใหม่"
    ),
    "This password reset link has expired or was already used: ask for a new one.": (
        "ลิงก์ตั้งรหัสผ่านใหม่นี้หมดอายุหรือถูกใช้ไปแล้ว กรุณาขอลิงก์ใหม่"
    ),
    "Someone asked to set a new password for your eventface account. "
    "If it was you, open this link within the hour:": (
        "มีผู้ขอตั้งรหัสผ่านใหม่สำหรับบัญชี eventface ของคุณ หากเป็นคุณ กรุณาเปิดลิงก์นี้ภายในหนึ่งชั่วโมง:"
    ),
    "If it was not you, ignore this email: your password stays as it is.": (
        "หากไม่ใช่คุณ ไม่ต้องทำอะไร รหัสผ่านของคุณยังเหมือนเดิม"
    ),
    # selfie quality (issue 11): services/search.py SELFIE_FAULTS, the codes face_too_small, face_blurry
    "Your face is small in this selfie: one taken closer to the camera finds more of your photos.": (
        "ใบหน้าในเซลฟี่นี้เล็ก เซลฟี่ที่ถ่ายใกล้กล้องมากขึ้นจะค้นพบรูปของคุณได้มากขึ้น"
    ),
    "This selfie is blurry: one held still, facing the camera, in more light finds more of your photos.": (
        "เซลฟี่นี้เบลอ เซลฟี่ที่ถือกล้องนิ่ง หันหน้าเข้ากล้อง และมีแสงมากขึ้นจะค้นพบรูปของคุณได้มากขึ้น"
    ),
}


def language(request: Request) -> str:
    chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return from_accept_language(request.headers.get("Accept-Language", ""))


def from_accept_language(header: str) -> str:
    """The supported language the browser prefers most (q-values honoured), else English."""
    best, best_q = DEFAULT_LANGUAGE, 0.0
    for part in header.split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and q > best_q:
            best, best_q = primary, q
    return best


def translator(lang: str) -> Translate:
    if lang == "th":
        return lambda text: THAI.get(text, text)
    return lambda text: text
