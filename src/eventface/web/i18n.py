"""Thai and English. English text is the key (as with gettext); `THAI` holds its translations.

The language is the `lang` query parameter (remembered in a cookie), else that cookie, else the
browser's Accept-Language, else English. A test checks that every string the templates and
scripts ask for has a Thai translation.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

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
    # error pages, by error code (web/error_texts.py)
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
    # guest page as a photo product (issue 14): the steps, the viewer, saving, sharing, reporting
    "Find your photos of this event with a selfie.": "ค้นหารูปของคุณในงานนี้ด้วยเซลฟี่",
    "Your selfie is compared with this event's photos, then discarded: it is never stored.": (
        "เซลฟี่ของคุณใช้เทียบกับรูปในงานนี้แล้วลบทิ้งทันที ไม่มีการจัดเก็บ"
    ),
    "Your selfie is compared with the faces in this event's photos, then discarded. It is never stored.": (
        "เซลฟี่ของคุณใช้เทียบกับใบหน้าในรูปของงานนี้ แล้วลบทิ้งทันที ไม่มีการจัดเก็บ"
    ),
    "Read the full text": "อ่านข้อความฉบับเต็ม",
    "Choose a selfie": "เลือกเซลฟี่",
    "Preparing your selfie…": "กำลังเตรียมเซลฟี่ของคุณ…",
    "Uploading your selfie… {percent} %": "กำลังอัปโหลดเซลฟี่… {percent} %",
    "Finding your face…": "กำลังค้นหาใบหน้าของคุณ…",
    "Loading your photos…": "กำลังโหลดรูปของคุณ…",
    "The connection was lost. Please try again.": "การเชื่อมต่อขาดหาย กรุณาลองใหม่",
    "{count} photos found": "พบ {count} รูป",
    "1 photo found": "พบ 1 รูป",
    "{count} hidden: show them": "ซ่อนไว้ {count} รูป: แสดงอีกครั้ง",
    "Find more with another selfie": "ค้นหาเพิ่มด้วยเซลฟี่อีกรูป",
    "Share": "แชร์",
    "Original": "ไฟล์ต้นฉบับ",
    "Not me": "ไม่ใช่ฉัน",
    "Report": "แจ้งลบ",
    "Sharing is not available here: the photo was saved instead.": "อุปกรณ์นี้แชร์ไม่ได้ จึงบันทึกรูปให้แทน",
    "Ask to remove this photo": "ขอให้ลบรูปนี้",
    "The photographer is told and decides. Say why if you like.": (
        "ช่างภาพจะได้รับแจ้งและเป็นผู้ตัดสินใจ จะบอกเหตุผลด้วยก็ได้"
    ),
    "Reason (optional)": "เหตุผล (ไม่บังคับ)",
    "Send": "ส่ง",
    "Sent. The photographer will look at it.": "ส่งแล้ว ช่างภาพจะตรวจสอบคำขอของคุณ",
    "Could not send it. Please try again.": "ส่งไม่สำเร็จ กรุณาลองใหม่",
    "Reporting is not available for this event.": "งานนี้ยังไม่เปิดให้แจ้งลบรูป",
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
    # quality: counted phrases (ENGLISH_ONE below; Thai has one form, the number before its
    # classifier) and what a page says for each error code (web/error_texts.py)
    "{n} photos": "{n} รูป",
    "{n} photos found": "พบ {n} รูป",
    "{n} faces": "{n} ใบหน้า",
    "{n} faces found": "พบ {n} ใบหน้า",
    "{n} failed photos": "ล้มเหลว {n} รูป",
    "{done}/{n} photos indexed": "สแกนแล้ว {done}/{n} รูป",
    "{n} minutes": "{n} นาที",
    "{n} syncs": "ซิงก์ {n} รอบ",
    "{n} selfies": "เซลฟี่ {n} รูป",
    "Something went wrong. Please try again.": "เกิดข้อผิดพลาด กรุณาลองใหม่อีกครั้ง",
    "Your session has ended. Sign in again.": "เซสชันหมดอายุแล้ว กรุณาเข้าสู่ระบบอีกครั้ง",
    "Please check what you entered and try again.": "กรุณาตรวจสอบข้อมูลที่กรอกแล้วลองใหม่อีกครั้ง",
    "This action is not possible here.": "ไม่สามารถทำรายการนี้ที่นี่ได้",
    "This photo could not be used.": "ไม่สามารถใช้รูปนี้ได้",
    "This photo has too many pixels.": "รูปนี้มีจำนวนพิกเซลมากเกินไป",
    "This photo is no longer in the event's folder.": "รูปนี้ไม่อยู่ในโฟลเดอร์ของงานแล้ว",
    "The photos cannot be read right now: try again in a moment.": ("ยังอ่านรูปภาพไม่ได้ในขณะนี้ กรุณาลองใหม่อีกสักครู่"),
    "The event's Google Drive must be connected again by the photographer.": (
        "ช่างภาพต้องเชื่อมต่อ Google ไดรฟ์ของงานนี้ใหม่"
    ),
    "The list of changes in Google Drive expired: the whole folder will be read again.": (
        "รายการการเปลี่ยนแปลงใน Google ไดรฟ์หมดอายุ ระบบจะอ่านทั้งโฟลเดอร์ใหม่"
    ),
    "A stored credential cannot be read: the photographer must connect again.": (
        "อ่านข้อมูลการเชื่อมต่อที่บันทึกไว้ไม่ได้ ช่างภาพต้องเชื่อมต่อใหม่"
    ),
    "The face models are missing on this server: the administrator must reinstall.": (
        "เซิร์ฟเวอร์นี้ไม่มีไฟล์โมเดลใบหน้า ผู้ดูแลระบบต้องติดตั้งใหม่"
    ),
    "The email could not be sent. Please try again later.": "ส่งอีเมลไม่สำเร็จ กรุณาลองใหม่ภายหลัง",
    "not a Google Drive link: open the folder and copy its link": (
        "นี่ไม่ใช่ลิงก์ของ Google ไดรฟ์ เปิดโฟลเดอร์แล้วคัดลอกลิงก์ของโฟลเดอร์นั้น"
    ),
    # --- Email notifications (web/notify_pages.py, templates/notify_*.html, mail/notify_*, notify.js)
    "Email me new photos of me": "ส่งอีเมลแจ้งเมื่อมีรูปใหม่ของฉัน",
    "Confirmed. We will email you when new photos of you arrive.": (
        "ยืนยันแล้ว เราจะส่งอีเมลถึงคุณเมื่อมีรูปใหม่ของคุณเข้ามา"
    ),
    "See my new photos": "ดูรูปใหม่ของฉัน",
    "Press the button to confirm that this address should get an email when new photos of you arrive at "
    "this event.": ("กดปุ่มเพื่อยืนยันว่าต้องการรับอีเมลที่อีเมลนี้เมื่อมีรูปใหม่ของคุณในงานนี้"),
    "Only the face data of your selfies is kept, not the selfies, until the subscription expires. Every "
    "email has a link to unsubscribe, which deletes it at once.": (
        "เราเก็บเฉพาะข้อมูลใบหน้าจากเซลฟี่ของคุณ ไม่เก็บตัวเซลฟี่ จนกว่าการรับแจ้งเตือนจะหมดอายุ "
        "ทุกอีเมลมีลิงก์ยกเลิกการรับแจ้งเตือน ซึ่งจะลบข้อมูลนี้ทันที"
    ),
    "Confirm": "ยืนยัน",
    "If you did not ask for this, ignore the email: nothing will be sent, and the request is deleted in "
    "two days.": ("หากคุณไม่ได้ขอไว้ ไม่ต้องทำอะไร เราจะไม่ส่งอะไรถึงคุณ และคำขอนี้จะถูกลบภายในสองวัน"),
    "Unsubscribe": "ยกเลิกการรับแจ้งเตือน",
    "You are unsubscribed: we send you no more emails about this event, and the face data of your "
    "selfies is deleted.": (
        "ยกเลิกการรับแจ้งเตือนแล้ว เราจะไม่ส่งอีเมลเกี่ยวกับงานนี้ถึงคุณอีก และข้อมูลใบหน้าจากเซลฟี่ของคุณถูกลบแล้ว"
    ),
    "Stop the emails about new photos of you at this event, and delete the face data of your selfies?": (
        "หยุดรับอีเมลแจ้งรูปใหม่ของคุณในงานนี้ และลบข้อมูลใบหน้าจากเซลฟี่ของคุณใช่หรือไม่"
    ),
    "Your new photos": "รูปใหม่ของคุณ",
    "{count} photos": "{count} รูป",
    "1 photo": "1 รูป",
    "No new photos of you yet: we will email you when they arrive.": (
        "ยังไม่มีรูปใหม่ของคุณ เราจะส่งอีเมลถึงคุณเมื่อมีรูปเข้ามา"
    ),
    "Search this event with a selfie": "ค้นหารูปในงานนี้ด้วยเซลฟี่",
    "Email me when new photos of me arrive": "ส่งอีเมลถึงฉันเมื่อมีรูปใหม่ของฉัน",
    "Keep the face data of my selfies (not the selfies) with my email, to find new photos of me at this "
    "event, for {days} days after the event. Every email lets me unsubscribe, which deletes it.": (
        "เก็บข้อมูลใบหน้าจากเซลฟี่ของฉัน (ไม่เก็บตัวเซลฟี่) ไว้กับอีเมลของฉัน "
        "เพื่อค้นหารูปใหม่ของฉันในงานนี้ เป็นเวลา {days} วันหลังวันงาน ทุกอีเมลมีลิงก์ให้ยกเลิก "
        "ซึ่งจะลบข้อมูลนี้"
    ),
    "Email me": "ส่งอีเมลถึงฉัน",
    "Someone, we hope you, asked to get an email when new photos of them arrive at {event}. To confirm, "
    "open this link and press the button:": (
        "มีผู้ขอ (หวังว่าจะเป็นคุณ) ให้ส่งอีเมลแจ้งเมื่อมีรูปใหม่ของตนในงาน {event} หากต้องการยืนยัน กรุณาเปิดลิงก์นี้แล้วกดปุ่ม:"
    ),
    "If it was not you, ignore this email: nothing more will be sent, and the request is deleted in two "
    "days.": ("หากไม่ใช่คุณ ไม่ต้องทำอะไร เราจะไม่ส่งอะไรอีก และคำขอนี้จะถูกลบภายในสองวัน"),
    "1 new photo of you at {event}": "มีรูปใหม่ของคุณ 1 รูปในงาน {event}",
    "{count} new photos of you at {event}": "มีรูปใหม่ของคุณ {count} รูปในงาน {event}",
    "See them (no selfie needed):": "ดูรูป (ไม่ต้องใช้เซลฟี่):",
    "Unsubscribe (the face data of your selfies is deleted at once):": (
        "ยกเลิกการรับแจ้งเตือน (ข้อมูลใบหน้าจากเซลฟี่ของคุณจะถูกลบทันที):"
    ),
    "the face data of your selfies is deleted at once.": "ข้อมูลใบหน้าจากเซลฟี่ของคุณจะถูกลบทันที",
    "Confirm: email me new photos of me from {event}": "ยืนยัน: ส่งอีเมลแจ้งรูปใหม่ของฉันจากงาน {event}",
    "New photos of you from {event}": "รูปใหม่ของคุณจากงาน {event}",
    "Check your email: open the link we sent to confirm. Until you confirm, we send nothing else.": (
        "กรุณาตรวจสอบอีเมล แล้วเปิดลิงก์ที่เราส่งไปเพื่อยืนยัน ก่อนยืนยัน เราจะไม่ส่งอะไรอื่นถึงคุณ"
    ),
    "This link has expired or was already used.": "ลิงก์นี้หมดอายุหรือถูกใช้ไปแล้ว",
    "This event no longer sends new photos by email.": "งานนี้ไม่ส่งรูปใหม่ทางอีเมลแล้ว",
    "Sending…": "กำลังส่ง…",
    "Please give your email address.": "กรุณากรอกอีเมล",
    "Search with a selfie first.": "กรุณาค้นหาด้วยเซลฟี่ก่อน",
    "Too many requests: please wait a minute and try again.": "มีคำขอมากเกินไป กรุณารอสักครู่แล้วลองใหม่",
    # issue 14, the photographer's side: brand, cover, QR card, hidden photos, removal requests
    "A full address starting with https://, or @name for LINE and Instagram. Leave empty to show nothing.": (
        "ที่อยู่เต็มที่ขึ้นต้นด้วย https:// หรือ @ชื่อ สำหรับ LINE และ Instagram เว้นว่างไว้หากไม่ต้องการแสดง"
    ),
    "Ask the server's admin to give eventface its public address, then print the QR code.": (
        "กรุณาขอให้ผู้ดูแลเซิร์ฟเวอร์ตั้งที่อยู่สาธารณะให้ eventface แล้วจึงพิมพ์ QR code"
    ),
    "Choose “Make cover” on any photo below.": "กด “ตั้งเป็นภาพปก” ที่รูปใดก็ได้ด้านล่าง",
    "Cover photo": "ภาพปก",
    "Dismiss": "ไม่ดำเนินการ",
    "Edit your brand": "แก้ไขแบรนด์ของคุณ",
    "Google Drive is not set up on this server yet: ask the server's admin to set it up.": (
        "เซิร์ฟเวอร์นี้ยังไม่ได้ตั้งค่า Google Drive กรุณาขอให้ผู้ดูแลเซิร์ฟเวอร์ตั้งค่า"
    ),
    "Guest page look": "หน้าตาหน้าสำหรับแขก",
    "Guests asked to remove photos": "แขกขอให้นำรูปออก",
    "Hide": "ซ่อน",
    "Hide photo": "ซ่อนรูป",
    "Indexing starts as soon as the event is created: the event page shows its progress.": (
        "ระบบจะเริ่มจัดทำดัชนีทันทีที่สร้างงาน และแสดงความคืบหน้าในหน้างาน"
    ),
    "It is shown at most 512 px wide.": "แสดงกว้างไม่เกิน 512 px",
    "LINE Official Account": "บัญชีทางการ LINE (LINE OA)",
    "Last run": "รอบล่าสุด",
    "Logo": "โลโก้",
    "Make cover": "ตั้งเป็นภาพปก",
    "No brand yet: add your studio name, logo and contact links.": (
        "ยังไม่มีแบรนด์ เพิ่มชื่อสตูดิโอ โลโก้ และช่องทางติดต่อของคุณ"
    ),
    "No cover: in a private event guests see a cover only if you choose one.": (
        "ไม่มีภาพปก งานแบบส่วนตัวจะแสดงภาพปกให้แขกเห็นเฉพาะเมื่อคุณเลือกไว้"
    ),
    "No photos yet: indexing scans the folder and lists them here.": (
        "ยังไม่มีรูป ระบบกำลังสแกนโฟลเดอร์และจะแสดงรูปที่นี่"
    ),
    "No reason given.": "ไม่ได้ระบุเหตุผล",
    "Not indexed yet: indexing reads every photo in the folder and finds the faces in it.": (
        "ยังไม่ได้จัดทำดัชนี การจัดทำดัชนีจะอ่านทุกรูปในโฟลเดอร์และค้นหาใบหน้าในรูป"
    ),
    "PNG, JPEG, WebP or GIF, at most": "PNG, JPEG, WebP หรือ GIF ไม่เกิน",
    "Photographer logo": "โลโก้ช่างภาพ",
    "Photographer or studio name": "ชื่อช่างภาพหรือสตูดิโอ",
    "Photos by": "ภาพโดย",
    "Preview": "ตัวอย่าง",
    "Preview unavailable": "ไม่มีภาพตัวอย่าง",
    "Printable QR card (A6 PDF)": "การ์ด QR สำหรับพิมพ์ (PDF ขนาด A6)",
    "QR card (PNG)": "การ์ด QR (PNG)",
    "4 QR cards on A4 (PDF)": "การ์ด QR 4 ใบบนกระดาษ A4 (PDF)",
    "Remove the logo": "ลบโลโก้",
    "Show to guests": "แสดงให้แขกเห็น",
    "The first photo becomes the cover once it is indexed.": "รูปแรกจะเป็นภาพปกเมื่อจัดทำดัชนีแล้ว",
    "This event": "งานนี้",
    "Use the first photo": "ใช้รูปแรก",
    "Website": "เว็บไซต์",
    "Your brand": "แบรนด์ของคุณ",
    "Your brand is saved.": "บันทึกแบรนด์ของคุณแล้ว",
    "Your brand is shown on the guest pages of all your events.": "แบรนด์ของคุณจะแสดงในหน้าสำหรับแขกของทุกงาน",
    "Your current logo": "โลโก้ปัจจุบันของคุณ",
    "a link must be a full web address starting with https:// or http://": (
        "ลิงก์ต้องเป็นที่อยู่เว็บเต็มที่ขึ้นต้นด้วย https:// หรือ http://"
    ),
    "chosen by you": "คุณเลือกเอง",
    "cover": "ภาพปก",
    "hidden from guests": "ซ่อนจากแขก",
    "no changes": "ไม่มีการเปลี่ยนแปลง",
    "{n} syncs with no changes": "ซิงก์ {n} ครั้ง ไม่มีการเปลี่ยนแปลง",
    "{n} removal requests": "คำขอให้นำรูปออก {n} รายการ",
    "the first photo (default)": "รูปแรก (ค่าเริ่มต้น)",
    "the logo file is too large (at most 2 MB)": "ไฟล์โลโก้ใหญ่เกินไป (ไม่เกิน 2 MB)",
    "the logo must be a PNG, JPEG, WebP or GIF image": "โลโก้ต้องเป็นไฟล์ภาพ PNG, JPEG, WebP หรือ GIF",
    "the reason may have at most 500 characters": "เหตุผลยาวได้ไม่เกิน 500 ตัวอักษร",
    "the studio name may have at most 100 characters": "ชื่อสตูดิโอยาวได้ไม่เกิน 100 ตัวอักษร",
    "the cover must be an indexed photo that guests may see": "รูปปกต้องเป็นรูปที่สแกนแล้วและแขกมองเห็นได้",
    "Thank you. The photographer has been asked to remove this photo.": ("ขอบคุณ เราได้แจ้งช่างภาพให้นำรูปนี้ออกแล้ว"),
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


# quality: counted phrases and dates, one calendar per page ------------------------------------
#
# A counted phrase's key is its English plural with `{n}` where the number goes, as gettext's
# ngettext keys on the msgid; its English singular is in ENGLISH_ONE, its Thai text in THAI.
# Thai has a single form and its own word order ("พบ 6 รูป", "Found 6 photos" reads
# "6 photos found"), so the whole phrase is translated, never a number glued to a word.
# The plural categories are CLDR's (what Intl.PluralRules gives the scripts): English "one" for
# exactly 1, else "other"; Thai only "other".

ENGLISH_ONE: dict[str, str] = {
    "{n} removal requests": "{n} removal request",
    "{n} syncs with no changes": "{n} sync with no changes",
    "{n} photos": "{n} photo",
    "{n} photos found": "{n} photo found",
    "{n} faces": "{n} face",
    "{n} faces found": "{n} face found",
    "{n} failed photos": "{n} failed photo",
    "{done}/{n} photos indexed": "{done}/{n} photo indexed",
    "{n} minutes": "{n} minute",
    "{n} syncs": "{n} sync",
    "{n} selfies": "{n} selfie",
}

Count = Callable[..., str]


def plural_category(lang: str, n: int) -> str:
    return "one" if lang == "en" and n == 1 else "other"


def count_forms(lang: str, key: str) -> dict[str, str]:
    """A counted phrase's forms by plural category, as the pages' scripts get them."""
    if lang == "th":
        return {"other": THAI.get(key, key)}
    return {"one": ENGLISH_ONE.get(key, key), "other": key}


def count_phrase(lang: str, key: str, n: int, *, shown: str | None = None, **values: object) -> str:
    """`key` for `n` things in `lang`: `count_phrase("th", "{n} photos found", 6)` is "พบ 6 รูป".

    `shown` replaces the number as printed (e.g. "120+" for a count that stopped early)."""
    forms = count_forms(lang, key)
    text = forms.get(plural_category(lang, n), forms["other"])
    return text.format(n=f"{n:,}" if shown is None else shown, **values)


def counter(lang: str) -> Count:
    def count(key: str, n: int, shown: str | None = None, **values: object) -> str:
        return count_phrase(lang, key, n, shown=shown, **values)

    return count


BUDDHIST_ERA_OFFSET = 543  # 2026 CE is 2569 BE
THAI_MONTHS = (
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
)  # fmt: skip
THAI_MONTHS_SHORT = (
    "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
)  # fmt: skip
ENGLISH_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
# British abbreviations, as CLDR's en-GB (what the scripts' Intl gives): "Sept", not "Sep"
ENGLISH_MONTHS_SHORT = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sept", "Oct", "Nov", "Dec",
)  # fmt: skip


def format_date(day: date, lang: str, style: str = "long") -> str:
    """Thai in the Buddhist era as Thai readers write it: long "1 ธันวาคม 2569", medium
    "1 ธ.ค. 2569", short "1 ธ.ค. 69"; English day-first in the Gregorian calendar: "1 December
    2026", medium and short "1 Dec 2026" (a two-digit year is ambiguous in English).

    The same texts as the scripts' Intl.DateTimeFormat (static/i18n.js), so a date reads the
    same whether the server or the browser wrote it."""
    if lang == "th":
        year = day.year + BUDDHIST_ERA_OFFSET
        if style == "long":
            return f"{day.day} {THAI_MONTHS[day.month - 1]} {year}"
        shown = f"{year % 100:02d}" if style == "short" else str(year)
        return f"{day.day} {THAI_MONTHS_SHORT[day.month - 1]} {shown}"
    months = ENGLISH_MONTHS if style == "long" else ENGLISH_MONTHS_SHORT
    return f"{day.day} {months[day.month - 1]} {day.year}"


def format_datetime(moment: datetime, lang: str) -> str:
    """A moment in UTC, with its date in the page's calendar: "1 ธ.ค. 2569 14:05 UTC".

    Pages show it in the reader's own time zone once their script runs (static/i18n.js); this
    is what a reader without scripts sees. A naive datetime is taken as UTC (SQLite keeps no zone)."""
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    separator = " " if lang == "th" else ", "  # as Intl's dateStyle medium + timeStyle short
    return f"{format_date(utc.date(), lang, 'medium')}{separator}{utc:%H:%M} UTC"
