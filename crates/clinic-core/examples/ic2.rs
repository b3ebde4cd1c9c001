use clinic_core::key::KeyFile;
use rusqlite::Connection;
use std::time::Instant;
fn main() {
    let dir = std::path::Path::new("/tmp/bench100k");
    let kf = KeyFile::read(&dir.join("clinic.key")).unwrap();
    let key = kf.unwrap_key("benchmark passphrase").unwrap();
    let db = "/tmp/ictest.db";
    let c = Connection::open(db).unwrap();
    c.execute_batch(&format!(
        "PRAGMA key = \"x'{}'\"; PRAGMA cache_size=-1000000; PRAGMA temp_store=MEMORY;",
        hex::encode(key.as_bytes())
    ))
    .unwrap();
    for sql in std::env::args().skip(1) {
        let t = Instant::now();
        if sql.starts_with("PRAGMA") || sql.starts_with("SELECT") {
            let r: String = c
                .query_row(&sql, [], |r| {
                    r.get::<_, rusqlite::types::Value>(0)
                        .map(|v| format!("{v:?}"))
                })
                .unwrap();
            println!("{sql}: {r} {:?}", t.elapsed());
        } else {
            c.execute_batch(&sql).unwrap();
            println!("{sql}: {:?}", t.elapsed());
        }
    }
}
