//! Checks made before a file reaches symphonia, for faults it would turn into a crash.
//!
//! symphonia 0.5 reads a Vorbis comment (the tags of FLAC, Ogg Vorbis and Opus files) and a
//! FLAC picture (cover art, also carried base64-encoded in a `METADATA_BLOCK_PICTURE` comment)
//! by allocating each stated length before reading it: a 40-byte file that states a 3 GB
//! comment or picture type makes it ask for 3 GB (found by fuzzing), which aborts the process
//! where memory is short — a server's, on an upload. Here every stated length of those blocks
//! must fit in the bytes that follow it; a file whose lengths do not is damaged, and is refused.

use std::io::{Read, Seek, SeekFrom};

/// Most bytes of Ogg pages read looking for the comment header.
const OGG_SCAN_BYTES: u64 = 16 << 20;

/// Checks the Vorbis comments of a FLAC or Ogg stream (others pass); leaves the reader at the
/// start. The error says what is wrong.
pub fn check_comments<R: Read + Seek>(r: &mut R) -> Result<(), String> {
    let result = check_from_start(r);
    r.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
    result
}

/// How far symphonia's probe searches for a format or metadata marker (its
/// `PROBE_SEARCH_LIMIT`).
const PROBE_SEARCH_LIMIT: usize = 1 << 20;

/// The markers symphonia's probe knows with the features euterpe builds (wav, flac, mp3, ogg;
/// ID3v2 metadata), at the offset where it would find the first.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Marker {
    Id3,
    Flac,
    Ogg,
    /// WAV or MP3: no hazard checked here.
    Other,
}

fn marker_at(bytes: &[u8]) -> Option<Marker> {
    const MP3: [u8; 6] = [0xfa, 0xfb, 0xf2, 0xf3, 0xe2, 0xe3];
    if bytes.starts_with(b"ID3") {
        Some(Marker::Id3)
    } else if bytes.starts_with(b"fLaC") {
        Some(Marker::Flac)
    } else if bytes.starts_with(b"OggS") {
        Some(Marker::Ogg)
    } else if bytes.starts_with(b"RIFF")
        || (bytes.len() >= 2 && bytes[0] == 0xff && MP3.contains(&bytes[1]))
    {
        Some(Marker::Other)
    } else {
        None
    }
}

/// Follows symphonia's probe: from the start, the first marker within the search limit decides
/// what is read; an ID3v2 tag is read and the search goes on after it.
fn check_from_start<R: Read + Seek>(r: &mut R) -> Result<(), String> {
    let mut start = 0u64;
    loop {
        r.seek(SeekFrom::Start(start)).map_err(|e| e.to_string())?;
        let mut window = vec![0u8; PROBE_SEARCH_LIMIT + 16];
        let got = read_up_to(r, &mut window).map_err(|e| e.to_string())?;
        window.truncate(got);
        let found = (0..got.min(PROBE_SEARCH_LIMIT + 1))
            .find_map(|i| marker_at(&window[i..]).map(|m| (i as u64, m)));
        let Some((offset, marker)) = found else {
            return Ok(());
        };
        r.seek(SeekFrom::Start(start + offset))
            .map_err(|e| e.to_string())?;
        match marker {
            Marker::Id3 => start += offset + check_id3v2(r)?,
            Marker::Flac => {
                r.seek(SeekFrom::Current(4)).map_err(|e| e.to_string())?;
                return check_flac(r);
            }
            Marker::Ogg => return check_ogg(r),
            Marker::Other => return Ok(()),
        }
    }
}

/// Checks that every frame of the ID3v2 tag at the reader fits in the tag (symphonia allocates a
/// frame's stated size, up to 4 GB, before reading it); returns the tag's length in bytes.
fn check_id3v2<R: Read>(r: &mut R) -> Result<u64, String> {
    let mut header = [0u8; 10];
    if read_up_to(r, &mut header).map_err(|e| e.to_string())? < 10 {
        return Err("an ID3v2 tag shorter than its header".into());
    }
    let major = header[3];
    let flags = header[5];
    let syncsafe = |b: &[u8]| -> usize {
        b.iter()
            .fold(0usize, |acc, &x| (acc << 7) | (x & 0x7f) as usize)
    };
    let size = syncsafe(&header[6..10]);
    let footer = if major >= 4 && flags & 0x10 != 0 {
        10
    } else {
        0
    };
    let mut body = vec![0u8; size];
    let got = read_up_to(r, &mut body).map_err(|e| e.to_string())?;
    let body = &body[..got];
    let mut at = 0usize;
    // An extended header is skipped by its own size.
    if flags & 0x40 != 0 && major >= 3 && body.len() >= 4 {
        let ext = if major == 3 {
            u32::from_be_bytes([body[0], body[1], body[2], body[3]]) as usize + 4
        } else {
            syncsafe(&body[..4])
        };
        at = ext.min(body.len());
    }
    let (header_len, id_len) = if major == 2 { (6, 3) } else { (10, 4) };
    while at + header_len <= body.len() {
        let h = &body[at..at + header_len];
        if h[0] == 0 {
            break; // padding
        }
        let frame = match major {
            2 => u32::from_be_bytes([0, h[3], h[4], h[5]]) as usize,
            3 => u32::from_be_bytes([h[4], h[5], h[6], h[7]]) as usize,
            _ => syncsafe(&h[4..8]),
        };
        at += header_len;
        if frame > body.len() - at {
            let id = String::from_utf8_lossy(&h[..id_len]).into_owned();
            return Err(format!(
                "ID3v2 frame {id:?} states {frame} bytes, but {} remain in its tag",
                body.len() - at
            ));
        }
        at += frame;
    }
    Ok(10 + size as u64 + footer)
}

fn read_up_to<R: Read>(r: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Walks the FLAC metadata blocks; checks the VORBIS_COMMENT block (type 4).
fn check_flac<R: Read + Seek>(r: &mut R) -> Result<(), String> {
    loop {
        let mut header = [0u8; 4];
        if read_up_to(r, &mut header).map_err(|e| e.to_string())? < 4 {
            return Ok(());
        }
        let last = header[0] & 0x80 != 0;
        let kind = header[0] & 0x7f;
        let length = u32::from_be_bytes([0, header[1], header[2], header[3]]) as usize;
        if kind == 4 || kind == 6 {
            let mut block = vec![0u8; length];
            let got = read_up_to(r, &mut block).map_err(|e| e.to_string())?;
            if kind == 4 {
                comment_lengths_fit(&block[..got]).map_err(|e| format!("FLAC tags: {e}"))?;
            } else {
                picture_lengths_fit(&block[..got]).map_err(|e| format!("FLAC picture: {e}"))?;
            }
            if got < length {
                return Ok(());
            }
        } else {
            r.seek(SeekFrom::Current(length as i64))
                .map_err(|e| e.to_string())?;
        }
        if last || kind == 127 {
            return Ok(());
        }
    }
}

/// Reassembles the first two packets of the first logical stream of an Ogg file (the
/// identification and comment headers) and checks the comment packet.
fn check_ogg<R: Read>(r: &mut R) -> Result<(), String> {
    let mut serial = None;
    let mut packets: Vec<Vec<u8>> = vec![Vec::new()];
    let mut scanned = 0u64;
    while scanned < OGG_SCAN_BYTES {
        let mut header = [0u8; 27];
        if read_up_to(r, &mut header).map_err(|e| e.to_string())? < 27 || &header[..4] != b"OggS" {
            break;
        }
        let page_serial = u32::from_le_bytes([header[14], header[15], header[16], header[17]]);
        let mut lacing = vec![0u8; header[26] as usize];
        if read_up_to(r, &mut lacing).map_err(|e| e.to_string())? < lacing.len() {
            break;
        }
        let mut body = vec![0u8; lacing.iter().map(|&l| l as usize).sum()];
        let got = read_up_to(r, &mut body).map_err(|e| e.to_string())?;
        scanned += (27 + lacing.len() + got) as u64;
        if *serial.get_or_insert(page_serial) != page_serial {
            continue;
        }
        let mut at = 0;
        for &l in &lacing {
            let end = (at + l as usize).min(got);
            if let Some(p) = packets.last_mut() {
                p.extend_from_slice(&body[at.min(end)..end]);
            }
            at += l as usize;
            if l < 255 {
                if packets.len() == 2 {
                    return check_comment_packet(&packets[1]);
                }
                packets.push(Vec::new());
            }
        }
        if got < body.len() {
            break;
        }
    }
    // The comment packet ended with the file: check what there is of it.
    match packets.get(1) {
        Some(p) if !p.is_empty() => check_comment_packet(p),
        _ => Ok(()),
    }
}

/// A Vorbis (`\x03vorbis`) or Opus (`OpusTags`) comment header packet.
fn check_comment_packet(packet: &[u8]) -> Result<(), String> {
    let body = if let Some(rest) = packet.strip_prefix(b"\x03vorbis") {
        rest
    } else if let Some(rest) = packet.strip_prefix(b"OpusTags") {
        rest
    } else {
        return Ok(());
    };
    comment_lengths_fit(body).map_err(|e| format!("Ogg tags: {e}"))
}

/// Every stated length of a Vorbis comment block (vendor, count, each comment) fits in the
/// bytes that follow it.
fn comment_lengths_fit(block: &[u8]) -> Result<(), String> {
    let mut at = 0usize;
    let read_u32 = |at: &mut usize| -> Option<usize> {
        let b = block.get(*at..*at + 4)?;
        *at += 4;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    let Some(vendor) = read_u32(&mut at) else {
        return Ok(());
    };
    if vendor > block.len() - at {
        return Err(format!(
            "a vendor string of {vendor} bytes in a block of {}",
            block.len()
        ));
    }
    at += vendor;
    let Some(count) = read_u32(&mut at) else {
        return Ok(());
    };
    for i in 0..count {
        let Some(length) = read_u32(&mut at) else {
            return Ok(());
        };
        if length > block.len() - at {
            return Err(format!(
                "comment {} states {length} bytes, but {} follow",
                i + 1,
                block.len() - at
            ));
        }
        let comment = &block[at..at + length];
        const PICTURE: &[u8] = b"METADATA_BLOCK_PICTURE=";
        if comment.len() > PICTURE.len() && comment[..PICTURE.len()].eq_ignore_ascii_case(PICTURE) {
            use base64::Engine;
            // symphonia skips a picture that does not decode; one that does is read as FLAC's.
            if let Ok(picture) =
                base64::engine::general_purpose::STANDARD.decode(&comment[PICTURE.len()..])
            {
                picture_lengths_fit(&picture).map_err(|e| format!("cover picture: {e}"))?;
            }
        }
        at += length;
    }
    Ok(())
}

/// Every stated length of a FLAC picture block (media type, description, data) fits in the
/// bytes that follow it.
fn picture_lengths_fit(block: &[u8]) -> Result<(), String> {
    let read_u32 = |at: usize| -> Option<usize> {
        let b = block.get(at..at + 4)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    // Picture type, then the media type's length.
    let mut at = 4;
    for (what, skip_after) in [("media type", 0), ("description", 16), ("picture data", 0)] {
        let Some(length) = read_u32(at) else {
            return Ok(());
        };
        at += 4;
        if length > block.len() - at.min(block.len()) {
            return Err(format!(
                "a {what} of {length} bytes in a block of {}",
                block.len()
            ));
        }
        at += length + skip_after;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// The fuzzer's find: a FLAC file whose tag block states a 3 GB comment.
    const HUGE_COMMENT: [u8; 37] = [
        102, 76, 97, 67, 132, 2, 255, 1, 0, 0, 0, 0, 0, 0, 5, 255, 99, 94, 183, 181, 123, 131, 122,
        227, 188, 1, 0, 0, 2, 12, 70, 254, 223, 255, 255, 125, 208,
    ];

    #[test]
    fn a_comment_longer_than_its_block_is_refused() {
        let e = check_comments(&mut Cursor::new(HUGE_COMMENT.to_vec())).unwrap_err();
        assert!(e.contains("FLAC tags"), "{e}");
    }

    #[test]
    fn sound_comment_blocks_pass() {
        let mut block = Vec::new();
        block.extend(3u32.to_le_bytes());
        block.extend(b"abc");
        block.extend(1u32.to_le_bytes());
        block.extend(9u32.to_le_bytes());
        block.extend(b"TITLE=Foo");
        assert!(comment_lengths_fit(&block).is_ok());
        let mut bad = block.clone();
        bad[11..15].copy_from_slice(&10u32.to_le_bytes());
        assert!(comment_lengths_fit(&bad).is_err());
        // Other files pass untouched, and the reader is rewound.
        let mut wav = Cursor::new(b"RIFF....WAVE".to_vec());
        assert!(check_comments(&mut wav).is_ok());
        assert_eq!(wav.position(), 0);
    }

    #[test]
    fn a_picture_longer_than_its_block_is_refused() {
        let mut block = Vec::new();
        block.extend(3u32.to_be_bytes());
        block.extend(9u32.to_be_bytes());
        block.extend(b"image/png");
        block.extend(0u32.to_be_bytes());
        block.extend([0u8; 16]);
        block.extend(4u32.to_be_bytes());
        block.extend([1, 2, 3, 4]);
        assert!(picture_lengths_fit(&block).is_ok());
        let mut bad = block.clone();
        bad[4..8].copy_from_slice(&3_000_000_000u32.to_be_bytes());
        assert!(picture_lengths_fit(&bad)
            .unwrap_err()
            .contains("media type"));
        // The same inside a FLAC file.
        let mut flac = b"fLaC".to_vec();
        flac.push(0x86);
        flac.extend(&(bad.len() as u32).to_be_bytes()[1..]);
        flac.extend(&bad);
        let e = check_comments(&mut Cursor::new(flac)).unwrap_err();
        assert!(e.contains("FLAC picture"), "{e}");
    }

    #[test]
    fn an_id3_frame_longer_than_its_tag_is_refused() {
        let tag = |frame_size: u32| {
            let mut t = b"ID3\x03\x00\x00".to_vec();
            t.extend([0, 0, 0, 30]); // 30 bytes of frames
            t.extend(b"TIT2");
            t.extend(frame_size.to_be_bytes());
            t.extend([0, 0]);
            t.extend([b'a'; 20]);
            t.extend(b"\xff\xfb\x90\x00");
            t
        };
        assert!(check_comments(&mut Cursor::new(tag(20))).is_ok());
        let e = check_comments(&mut Cursor::new(tag(2_936_012_800))).unwrap_err();
        assert!(e.contains("TIT2"), "{e}");
    }

    #[test]
    fn a_marker_after_junk_is_found_as_symphonia_finds_it() {
        // The fuzzer's third find: "fLfLaC…", the FLAC marker two bytes in.
        let mut file = b"fL".to_vec();
        file.extend(HUGE_COMMENT);
        let e = check_comments(&mut Cursor::new(file)).unwrap_err();
        assert!(e.contains("FLAC tags"), "{e}");
        // An MP3 frame before it: symphonia reads the MP3, so the FLAC bytes do not matter.
        let mut mp3 = vec![0xff, 0xfb, 0x90, 0x00];
        mp3.extend(HUGE_COMMENT);
        assert!(check_comments(&mut Cursor::new(mp3)).is_ok());
    }

    #[test]
    fn an_ogg_comment_packet_is_reassembled_and_checked() {
        // One page: the identification packet (30 bytes) and a comment packet stating a
        // 1 MB vendor string.
        let mut comment = b"\x03vorbis".to_vec();
        comment.extend(1_000_000u32.to_le_bytes());
        let mut page = b"OggS".to_vec();
        page.extend([0u8; 22]);
        page.push(2);
        page.extend([30u8, comment.len() as u8]);
        page.extend([1u8; 30]);
        page.extend(&comment);
        let e = check_comments(&mut Cursor::new(page)).unwrap_err();
        assert!(e.contains("Ogg tags"), "{e}");
    }
}
