import type { ImageBody, ImageInfo } from '../../../protocol/httpTypes.js'
import { imagesPath } from '../../../protocol/images.js'

/** Why an upload failed, in the server's own plain words when it gave some. */
export class UploadError extends Error {
  override name = 'UploadError'
}

/**
 * Sends one image file to the canvas's image endpoint as the request body (the server decides
 * its type from its bytes). XMLHttpRequest rather than fetch: it reports upload progress.
 */
export function uploadImage(
  canvasId: string,
  file: Blob,
  onProgress: (fraction: number) => void,
): Promise<ImageInfo> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('POST', imagesPath(canvasId))
    xhr.withCredentials = true
    xhr.responseType = 'json'
    xhr.setRequestHeader('content-type', file.type === '' ? 'application/octet-stream' : file.type)
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total)
    }
    xhr.onerror = () =>
      reject(new UploadError('Cannot reach the server. Check your connection and try again.'))
    xhr.onload = () => {
      const body = xhr.response as Partial<ImageBody> & { error?: { message?: unknown } }
      if (xhr.status === 201 && body.image) return resolve(body.image)
      const message = typeof body?.error?.message === 'string' ? body.error.message : undefined
      reject(new UploadError(message ?? `The upload failed (the server answered ${xhr.status}).`))
    }
    xhr.send(file)
  })
}
