/** The QR image of a token for the citizen's screen (eGov Mobile shows it; the pupil or shopper presents it). */
import QRCode from 'qrcode';

/** Error correction M: survives a scratched phone screen, keeps the code small. */
const OPTIONS = { errorCorrectionLevel: 'M' as const, margin: 2 };

export async function qrPng(token: string, widthPx = 320): Promise<Buffer> {
  return QRCode.toBuffer(token, { ...OPTIONS, type: 'png', width: widthPx });
}

export async function qrSvg(token: string): Promise<string> {
  return QRCode.toString(token, { ...OPTIONS, type: 'svg' });
}
