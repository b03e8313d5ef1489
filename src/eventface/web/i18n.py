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
    "The full path of a folder on this server; subfolders are included.": (
        "พาธเต็มของโฟลเดอร์บนเซิร์ฟเวอร์นี้ รวมโฟลเดอร์ย่อยด้วย"
    ),
    "Create event": "สร้างงาน",
    # event page
    "Guest link": "ลิงก์สำหรับแขก",
    "Copy link": "คัดลอกลิงก์",
    "Copied": "คัดลอกแล้ว",
    "Share this link or QR code with your guests.": "แชร์ลิงก์หรือ QR code นี้ให้แขกของคุณ",
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
    "The search failed. Please try again.": "การค้นหาล้มเหลว กรุณาลองใหม่",
    "Tap a face to find more photos of that person.": "แตะที่ใบหน้าเพื่อค้นหารูปเพิ่มเติมของคนนั้น",
    "More photos of this person": "รูปเพิ่มเติมของคนนี้",
    "Photos of the person you chose": "รูปของคนที่คุณเลือก",
    "Previous photo": "รูปก่อนหน้า",
    "Next photo": "รูปถัดไป",
    "Photo": "รูปภาพ",
    "Start over": "เริ่มใหม่",
    "Photos are still being added to this event.": "กำลังเพิ่มรูปเข้างานนี้",
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
